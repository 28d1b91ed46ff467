import Foundation
import Testing
import TestSupport
@testable import Store

/// Submitting runs and reading them back through the views.
@Suite struct RunStoreTests {
    @Test func submitInsertsRunAndEveryShardTogether() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let config = try StoreFixtures.config(shards: 25, epochs: 4)
        let store = RunStore(connection: connection)
        let submitted = try store.submit(config: config, configYAML: "model: tiny # as written",
                                         overrides: ["epochs=4"], name: "four-epochs", priority: 3, actor: "test")
        #expect(submitted.shards == 100)
        let shards = try connection.execute("""
            SELECT count(*), count(DISTINCT seed), min(epoch), max(epoch), max(index), sum(sample_count)
              FROM shards WHERE run_id = $1
            """, [submitted.run])
        #expect(try shards.int(0, 0) == 100 && shards.int(0, 1) == 100, "distinct seeds per shard")
        #expect(try shards.int(0, 2) == 0 && shards.int(0, 3) == 3 && shards.int(0, 4) == 24)
        #expect(try shards.int(0, 5) == 1000)
        let detail = try store.detail(run: submitted.run)
        #expect(detail.summary.name == "four-epochs" && detail.summary.state == .queued && detail.summary.priority == 3)
        #expect(detail.overrides == ["epochs=4"] && detail.configYAML == "model: tiny # as written")
        #expect(detail.events.map(\.to) == [.queued] && detail.charsetName == "digits")
        #expect(try store.config(run: submitted.run) == config)
        // The hyperparameters are queryable as JSON.
        let lr = try connection.execute("SELECT (hyperparameters->'optimizer'->>'lr')::float8 FROM runs WHERE id = $1", [submitted.run])
        #expect(try lr.double(0, 0) == 0.01)
    }

    @Test func aWarningIsShownInTheSummaryAndEachChangeIsAnEvent() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let run = try StoreFixtures.runningRun(connection, shards: 2)
        let store = RunStore(connection: connection)
        #expect(try store.list().first?.warning == nil)
        #expect(try store.setWarning(run: run, "every held-out line read as blank", actor: "test"))
        #expect(try !store.setWarning(run: run, "every held-out line read as blank", actor: "test"), "the same warning again is no change")
        #expect(try store.list().first?.warning == "every held-out line read as blank")
        let view = try connection.execute("SELECT warning FROM run_summary WHERE run = $1", [run])
        #expect(view.string(0, 0) == "every held-out line read as blank", "psql users see it too")
        #expect(try store.setWarning(run: run, nil, actor: "test"))
        let events = try store.detail(run: run).events.suffix(2)
        #expect(events.map(\.detail) == ["warning: every held-out line read as blank", "warning cleared"])
        #expect(events.allSatisfy { $0.from == .running && $0.to == .running }, "the state is unchanged")
        #expect(try store.list().first?.warning == nil)
    }

    @Test func failedSubmitLeavesNothingBehind() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        var config = try StoreFixtures.config(shards: 3)
        config.maxAttempts = 0  // violates shards' CHECK (max_attempts > 0) after the run row is in
        #expect(throws: PostgresError.self) {
            try RunStore(connection: connection).submit(config: config, configYAML: "", actor: "test")
        }
        let runs = try connection.execute("SELECT count(*) FROM runs")
        #expect(try runs.int(0, 0) == 0, "the run row rolled back with its shards")
    }

    @Test func charsetFileAlphabetIsStoredWithTheRun() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        var config = try StoreFixtures.config(shards: 1)
        config.charset = .file("/data/chars.txt")
        config.fileCharacters = ["a", "\"", "\\", ",", "{", "甲"]
        let run = try RunStore(connection: connection).submit(config: config, configYAML: "", actor: "test").run
        let stored = try connection.execute("SELECT charset::text FROM runs WHERE id = $1", [run])
        #expect(PostgresArray.parseTexts(stored.string(0, 0) ?? "") == ["a", "\"", "\\", ",", "{", "甲"])
    }

    /// The full charset holds combining marks (U+302A…U+302F) that fuse with a preceding comma or
    /// quote into one grapheme: the alphabet must come back element for element.
    @Test func alphabetsWithCombiningMarksRoundTrip() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let alphabet = ["〠", "〪", "〫", "〬", "〭", "〮", "〯", "\u{0301}", ",", "\"", "\\", "e\u{0301}", "NULL", " ", "甲"]
        var config = try StoreFixtures.config(shards: 1)
        config.charset = .file("/data/full.txt")
        config.fileCharacters = alphabet
        let store = RunStore(connection: connection)
        let run = try store.submit(config: config, configYAML: "", actor: "test").run
        let back = try store.charset(run: run)
        #expect(back.count == alphabet.count)
        #expect(back.map { Array($0.unicodeScalars) } == alphabet.map { Array($0.unicodeScalars) })
    }

    @Test func viewsSummariseARunWithMetrics() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let run = try StoreFixtures.runningRun(connection, shards: 4)
        let worker = try StoreFixtures.worker(connection)
        let queue = ShardQueue(connection: connection)
        let done = try #require(try queue.claim(worker: worker, leaseSeconds: 60))
        _ = try queue.complete(shard: done.id, worker: worker, metrics: [
            .init(run: run, step: 10, name: MetricName.trainLoss, value: 2.5, worker: worker),
            .init(run: run, step: 20, name: MetricName.trainLoss, value: 1.25, worker: worker),
            .init(run: run, step: 20, name: MetricName.samples, value: 600, worker: worker),
        ])
        _ = try queue.claim(worker: worker, leaseSeconds: 60)
        try MetricsStore(connection: connection).insert([
            .init(run: run, step: 20, name: MetricName.validationAccuracy, value: 0.5),
            .init(run: run, step: 10, name: MetricName.validationAccuracy, value: 0.75),
        ])
        let summary = try #require(try RunStore(connection: connection).list().first)
        #expect(summary.run == run && summary.state == .running)
        #expect(summary.shardsCompleted == 1 && summary.shardsTotal == 4 && summary.progressPercent == 25)
        #expect(summary.trainLoss == 1.25, "latest by step")
        #expect(summary.bestValAccuracy == 0.75, "best, not latest")
        #expect(summary.samplesPerSecond == 10, "600 samples in the last minute")
        #expect(summary.activeWorkers == 1, "one worker holds a live lease")

        let curve = try connection.execute(
            "SELECT step, value FROM run_metrics WHERE run = $1 AND name = 'train_loss' AND worker_name = 'w' ORDER BY step", [run])
        #expect(try curve.count == 2 && curve.double(1, 1) == 1.25)
        let detail = try RunStore(connection: connection).detail(run: run)
        #expect(detail.latestMetrics.map(\.name) == ["samples", "train_loss", "val_accuracy"])
        #expect(detail.shardStates == ["available": 2, "running": 1, "completed": 1])
    }

    @Test func startNextQueuedTakesTheHighestPriority() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let low = try StoreFixtures.runningRun(connection, shards: 1, priority: 1, start: false)
        let high = try StoreFixtures.runningRun(connection, shards: 1, priority: 9, start: false)
        let store = RunStore(connection: connection)
        #expect(try store.startNextQueued(psAddress: "10.0.0.1:7070", actor: "coordinator") == high)
        #expect(try store.startNextQueued(psAddress: "10.0.0.1:7070", actor: "coordinator") == low)
        #expect(try store.startNextQueued(psAddress: "10.0.0.1:7070", actor: "coordinator") == nil)
        #expect(try store.detail(run: high).psAddress == "10.0.0.1:7070")
    }
}
