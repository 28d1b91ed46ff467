import ArgumentParser
import CommandLineSupport
import Store

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume a paused run.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var target: RunArgument

    @Option(help: "Why (recorded in the run's history).")
    var reason: String?

    func run() throws {
        try changeRunState(.resume, run: target.id, database: database, reason: reason)
    }
}
