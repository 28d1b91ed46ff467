import ArgumentParser

/// `crnnctl bench …`: measurement commands. Each subcommand prints figures for BENCHMARKS.md.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure codecs, the engine and the parameter server.",
        subcommands: [BenchCodecCommand.self])
}
