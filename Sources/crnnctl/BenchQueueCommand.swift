import ArgumentParser
import CommandLineSupport
import Benchmarks
import Store

struct BenchQueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Measure shard claims per second with concurrent claimers (each its own connection).",
        discussion: """
            Runs in a scratch schema of the configured database, dropped afterwards, so real runs \
            and workers never see the benchmark's shards. Fails if any shard is claimed twice or lost.
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Concurrent claimers (threads, one connection each).")
    var claimers = 32

    @Option(help: "Shards in the benchmark run.")
    var shards = 10_000

    func validate() throws {
        guard (1...150).contains(claimers) else { throw ValidationError("--claimers must be 1...150, got \(claimers)") }
        guard (1...10_000_000).contains(shards) else { throw ValidationError("--shards must be 1...10000000, got \(shards)") }
    }

    func run() throws {
        let url = try database.location.connectionURL()
        let report = try QueueBenchmark(url: url, claimers: claimers, shards: shards).run()
        print(report.description)
        if report.doubleClaims > 0 || report.lost > 0 { throw ExitCode(1) }
    }
}
