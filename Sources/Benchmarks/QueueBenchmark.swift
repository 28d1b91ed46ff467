import Foundation
import Store

/// `crnnctl bench queue`: N claimers, each on its own thread and connection, drain a run of
/// `shards` shards; reports claims per second and checks that no shard was claimed twice or lost.
///
/// Everything happens in a scratch schema (migrated there, dropped afterwards), so the benchmark
/// can run against a live cluster database without real workers seeing its shards.
public struct QueueBenchmark {
    public struct Report: Sendable, CustomStringConvertible {
        public let claimers: Int
        public let shards: Int
        public let claims: Int
        public let seconds: Double
        public let doubleClaims: Int
        /// Shards not claimed by anyone, or whose database row disagrees with the claimers.
        public let lost: Int
        public let errors: [String]

        public var claimsPerSecond: Double { seconds > 0 ? Double(claims) / seconds : 0 }

        public var description: String {
            var text = "queue bench: \(claimers) claimers, \(shards) shards: \(claims) claims in "
                + String(format: "%.3f s = %.0f claims/s", seconds, claimsPerSecond)
                + "; double-claims: \(doubleClaims); lost: \(lost)"
            if !errors.isEmpty { text += "\nerrors:\n  " + errors.prefix(5).joined(separator: "\n  ") }
            return text
        }
    }

    public let url: String
    public let claimers: Int
    public let shards: Int

    public init(url: String, claimers: Int, shards: Int) {
        self.url = url; self.claimers = claimers; self.shards = shards
    }

    public func run() throws -> Report {
        let schema = "crnn_bench_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        let admin = try PostgresConnection(url: url, applicationName: "crnnctl bench")
        // The schema name is generated from digits above, never from input; DDL takes no binds.
        try admin.execute("CREATE SCHEMA \(schema)")
        defer { _ = try? admin.execute("DROP SCHEMA \(schema) CASCADE") }
        try admin.useSchema(schema)
        try Migrator(connection: admin).migrate()

        let config = try RunConfigParser().parse(yaml: """
            model: tiny
            charset: digits
            data: {synthetic: {samples_per_epoch: \(shards)}}
            shard_size: 1
            batch_size: 1
            """, file: "bench", baseDirectory: "/")
        let store = RunStore(connection: admin)
        let run = try store.submit(config: config, configYAML: "# crnnctl bench queue", name: "bench", actor: "bench").run
        try store.apply(.start, run: run, actor: "bench")
        let registry = WorkerRegistry(connection: admin)
        let workers = try (0..<claimers).map {
            try registry.register(.init(name: "bench-\($0)", host: "bench", pid: Int(getpid()), threads: 1, version: "bench"))
        }
        let connections = try workers.map { _ -> PostgresConnection in
            let connection = try PostgresConnection(url: url, applicationName: "crnnctl bench")
            try connection.useSchema(schema)
            return connection
        }

        let tally = Tally(claimers: claimers)
        let threads = zip(workers, connections).map { worker, connection in
            Thread {
                tally.waitForStart()
                var mine: [Int64] = []
                do {
                    let queue = ShardQueue(connection: connection)
                    while let shard = try queue.claim(worker: worker, leaseSeconds: 3600) { mine.append(shard.id) }
                } catch {
                    tally.record(error: "\(error)")
                }
                tally.finish(mine)
            }
        }
        threads.forEach { $0.start() }
        let started = ProcessInfo.processInfo.systemUptime
        tally.start()
        let claimed = tally.waitForAll()
        let seconds = ProcessInfo.processInfo.systemUptime - started

        let unique = Set(claimed)
        let inDatabase = try ShardQueue(connection: admin).counts(run: run)[.running] ?? 0
        return Report(
            claimers: claimers, shards: shards, claims: claimed.count, seconds: seconds,
            doubleClaims: claimed.count - unique.count,
            lost: max(shards - unique.count, 0) + abs(inDatabase - unique.count), errors: tally.errors)
    }
}

/// A start barrier and the claimers' results.
private final class Tally: @unchecked Sendable {
    private let condition = NSCondition()
    private var started = false
    private var finished = 0
    private var claimed: [Int64] = []
    private(set) var errors: [String] = []
    private let claimers: Int

    init(claimers: Int) { self.claimers = claimers }

    func waitForStart() {
        condition.lock()
        while !started { condition.wait() }
        condition.unlock()
    }

    func start() {
        condition.lock(); started = true; condition.broadcast(); condition.unlock()
    }

    func record(error: String) { condition.lock(); errors.append(error); condition.unlock() }

    func finish(_ ids: [Int64]) {
        condition.lock(); claimed += ids; finished += 1; condition.broadcast(); condition.unlock()
    }

    func waitForAll() -> [Int64] {
        condition.lock()
        defer { condition.unlock() }
        while finished < claimers { condition.wait() }
        return claimed
    }
}
