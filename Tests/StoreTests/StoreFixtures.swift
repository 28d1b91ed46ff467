import Foundation
import TestSupport
@testable import Store

/// Runs and workers for the store tests, on a fresh migrated database each.
enum StoreFixtures {
    /// A config with `shards` synthetic shards of 10 samples in one epoch.
    static func config(shards: Int, epochs: Int = 1, maxAttempts: Int = 3) throws -> RunConfig {
        try RunConfigParser().parse(yaml: """
            model: tiny
            charset: digits
            data: {synthetic: {samples_per_epoch: \(shards * 10)}}
            shard_size: 10
            batch_size: 10
            epochs: \(epochs)
            max_attempts: \(maxAttempts)
            """, file: "fixture.yaml", baseDirectory: "/tmp")
    }

    /// Submits a run and (by default) starts it as a coordinator would.
    static func runningRun(
        _ connection: PostgresConnection, shards: Int, priority: Int = 0, maxAttempts: Int = 3, start: Bool = true
    ) throws -> Int64 {
        let store = RunStore(connection: connection)
        let submitted = try store.submit(
            config: config(shards: shards, maxAttempts: maxAttempts), configYAML: "# fixture", priority: priority, actor: "test")
        if start { try store.apply(.start, run: submitted.run, actor: "test", psAddress: "127.0.0.1:7070") }
        return submitted.run
    }

    static func worker(_ connection: PostgresConnection, _ name: String = "w") throws -> Int64 {
        try WorkerRegistry(connection: connection).register(
            .init(name: name, host: "test-host", pid: 1, threads: 1, version: "test"))
    }
}
