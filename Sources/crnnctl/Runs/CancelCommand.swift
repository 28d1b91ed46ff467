import ArgumentParser
import CommandLineSupport
import Store

struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a run: no shard of it is handed out again.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var target: RunArgument

    @Option(help: "Why (recorded in the run's history).")
    var reason: String?

    func run() throws {
        try changeRunState(.cancel, run: target.id, database: database, reason: reason)
    }
}
