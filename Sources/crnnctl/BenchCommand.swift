import ArgumentParser

/// `crnnctl bench`: performance figures of the parts of the system.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the speed of parts of the system.",
        subcommands: [BenchGenCommand.self])
}
