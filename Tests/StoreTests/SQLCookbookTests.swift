import Foundation
import Testing
import TestSupport
@testable import Store

/// Every query in docs/sql-cookbook.md runs against a database holding seven runs with shards in
/// every state, metrics from two workers and checkpoints, and returns rows: the cookbook cannot rot.
@Suite struct SQLCookbookTests {
    static let cookbook = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/sql-cookbook.md")

    /// The ```sql blocks of the cookbook, in order.
    static func queries() throws -> [String] {
        let text = try String(contentsOf: cookbook, encoding: .utf8)
        var queries: [String] = []
        var current: [String]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line.hasPrefix("```sql") { current = []; continue }
            if let lines = current, line.hasPrefix("```") { queries.append(lines.joined(separator: "\n")); current = nil; continue }
            current?.append(String(line))
        }
        return queries
    }

    /// Seven runs (so "run 7" exists) with different learning rates; run 7 has completed, running,
    /// failed and stuck shards, metrics from two workers, checkpoints and a pause/resume history.
    static func seed(_ connection: PostgresConnection) throws {
        let store = RunStore(connection: connection)
        for (number, lr) in [0.001, 0.01, 0.05, 0.1, 0.02, 0.005, 0.03].enumerated() {
            let config = try RunConfigParser().parse(yaml: """
                model: tiny
                charset: digits
                data: {synthetic: {samples_per_epoch: 100}}
                shard_size: 10
                batch_size: 10
                epochs: 2
                max_attempts: 1
                optimizer: {type: sgd, lr: \(lr)}
                """, file: "cookbook.yaml", baseDirectory: "/tmp")
            let run = try store.submit(config: config, configYAML: "# cookbook", name: "run-\(number + 1)", actor: "test").run
            try store.apply(.start, run: run, actor: "coordinator@test", psAddress: "127.0.0.1:7070")
        }
        try store.apply(.pause, run: 7, actor: "crnnctl@test", detail: "looking at the loss")
        try store.apply(.resume, run: 7, actor: "crnnctl@test")
        for run in 1...6 { try store.apply(.pause, run: Int64(run), actor: "test") }

        let workers = try (1...2).map { try StoreFixtures.worker(connection, "worker-\($0)") }
        let queue = ShardQueue(connection: connection)
        for step in 1...6 {
            let worker = workers[step % 2]
            let shard = try #require(try queue.claim(worker: worker, leaseSeconds: 600))
            _ = try queue.complete(shard: shard.id, worker: worker, metrics: [
                .init(run: 7, step: Int64(step * 10), name: MetricName.trainLoss, value: 3.0 / Double(step), worker: worker),
                .init(run: 7, step: Int64(step * 10), name: MetricName.workerSamples, value: 10, worker: worker),
            ])
        }
        let failing = try #require(try queue.claim(worker: workers[0], leaseSeconds: 600))
        _ = try queue.fail(shard: failing.id, worker: workers[0], reason: "renderer crashed")
        _ = try queue.claim(worker: workers[1], leaseSeconds: 600)
        _ = try queue.claim(worker: workers[0], leaseSeconds: -60)  // a lease already expired: stuck
        try MetricsStore(connection: connection).insert([
            .init(run: 7, step: 30, name: MetricName.validationAccuracy, value: 0.4),
            .init(run: 7, step: 60, name: MetricName.validationAccuracy, value: 0.6),
        ])
        let checkpoints = CheckpointStore(connection: connection)
        _ = try checkpoints.store(run: 7, step: 30, kind: .best, bytes: [1, 2, 3], metrics: ["val_accuracy": 0.4])
        _ = try checkpoints.store(run: 7, step: 60, kind: .best, bytes: [4, 5, 6], metrics: ["val_accuracy": 0.6])
    }

    @Test func thereAreAtLeastTenQueries() throws {
        #expect(try Self.queries().count >= 10)
    }

    @Test func everyQueryRunsAndReturnsRows() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        try Self.seed(connection)
        for query in try Self.queries() {
            do {
                let result = try connection.execute(query)
                #expect(!result.isEmpty, "no rows from:\n\(query)")
            } catch {
                Issue.record("\(error)\n\(query)")
            }
        }
        // Spot checks that the queries answer what they claim.
        let queries = try Self.queries()
        let highLR = try connection.execute(queries[4])
        #expect(highLR.count == 4, "lr 0.1, 0.05, 0.03, 0.02 are above 0.01")
        let stuck = try connection.execute(queries[5])
        #expect(stuck.count == 1)
        let failed = try connection.execute(queries[6])
        #expect(failed.count == 1 && failed.string(0, 5) == "renderer crashed")
    }
}
