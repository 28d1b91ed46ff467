import ArgumentParser
import CommandLineSupport
import Foundation
import Store

struct DBPsql: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "psql",
        abstract: "Open psql on the configured database (starting the local cluster if needed).",
        discussion: "Arguments after -- go to psql, e.g. crnnctl db psql -- -c 'select 1'")

    @OptionGroup var database: DatabaseOptions

    @Argument(parsing: .postTerminator, help: "Arguments passed to psql.")
    var psqlArguments: [String] = []

    func run() throws {
        try execPsql(url: database.location.connectionURL(), arguments: psqlArguments)
    }
}

/// Replaces this process with psql, so it gets the terminal (shared by `db psql` and `sql`).
func execPsql(url: String, arguments: [String]) throws -> Never {
    let argv = ["psql", url] + arguments
    let cArguments = argv.map { strdup($0) } + [nil]
    execvp("psql", cArguments)
    throw ValidationError("cannot run psql (\(String(cString: strerror(errno)))): install the Debian package postgresql-client")
}
