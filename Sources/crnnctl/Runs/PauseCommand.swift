import ArgumentParser
import CommandLineSupport
import Store

struct PauseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause a running run: workers get none of its shards until resume.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var target: RunArgument

    @Option(help: "Why (recorded in the run's history).")
    var reason: String?

    func run() throws {
        try changeRunState(.pause, run: target.id, database: database, reason: reason)
    }
}
