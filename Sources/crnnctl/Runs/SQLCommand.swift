import ArgumentParser
import CommandLineSupport
import Store

struct SQLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql",
        abstract: "Open psql on the configured database (views: run_summary, run_metrics, best_checkpoints).",
        discussion: "Arguments after -- go to psql, e.g. crnnctl sql -- -c 'select * from run_summary'")

    @OptionGroup var database: DatabaseOptions

    @Argument(parsing: .postTerminator, help: "Arguments passed to psql.")
    var psqlArguments: [String] = []

    func run() throws {
        // Connect once first so the schema (and its views) exist before psql opens.
        _ = try database.connect(applicationName: "crnnctl")
        try execPsql(url: database.location.connectionURL(), arguments: psqlArguments)
    }
}
