import ArgumentParser

/// `crnnctl bench …`: performance measurements of the engine (not tests; figures for BENCHMARKS.md).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the engine's speed.",
        subcommands: [BenchTrainCommand.self])
}
