import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks that print figures (recorded in BENCHMARKS.md).",
        subcommands: [BenchQueueCommand.self])
}
