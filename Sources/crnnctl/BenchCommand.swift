import ArgumentParser

/// `crnnctl bench`: performance figures of the parts of the system (not tests: the figures go
/// into BENCHMARKS.md with the command and the machine).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the speed of parts of the system (figures for BENCHMARKS.md).",
        subcommands: [BenchTrainCommand.self, BenchGenCommand.self, BenchCodecCommand.self, BenchPSCommand.self, BenchPullsCommand.self, BenchQueueCommand.self,
                      BenchDatasetCommand.self])
}
