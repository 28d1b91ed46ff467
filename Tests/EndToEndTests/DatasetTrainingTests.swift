import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// Training from a dataset folder (`data: {dataset: FOLDER}`): `crnnctl gen` writes PNGs and
    /// labels.tsv, a coordinator and two workers train on it, validating on held-out lines of it.
    @Suite struct DatasetTrainingTests {
        @Test func aRunOnAFolderOfImagesCompletesAndLearns() async throws {
            let cluster = try Cluster()
            let folder = try cluster.generateLines("lines", count: 6000, seed: 21)
            // One line the run's charset cannot spell: skipped by whoever reads it, not fatal.
            let labels = folder + "/labels.tsv"
            let original = try String(contentsOfFile: labels, encoding: .utf8)
            try (original + "00000000.png\tdigits\n").write(toFile: labels, atomically: true, encoding: .utf8)

            let run = try cluster.submit(yaml: """
                name: e2e-dataset
                model: tiny
                charset: digits
                image: {height: 32, width: 64}
                data: {dataset: \(folder)}
                epochs: 10
                shard_size: 480
                batch_size: 16
                optimizer: {type: adam, lr: 0.002}
                staleness: {bound: 4, policy: downweight}
                gradients: {codec: fp16+zstd}
                validation: {size: 400, every: 250}
                seed: 5
                """)
            // 6,001 lines: 400 held out, 5,601 trained per epoch in 12 shards.
            let planned = try cluster.query(
                "SELECT count(*), sum(sample_count) FROM shards WHERE run_id = $1 AND epoch = 0", [run])
            #expect(try planned.int(0, 0) == 12 && planned.int(0, 1) == 5601)

            try cluster.startCoordinator()
            try cluster.startWorker()
            try cluster.startWorker()
            let finished = try await waitUntil(timeout: 400, interval: 1) {
                let state = try cluster.runState(run)
                return state != "running" && state != "queued"
            }
            #expect(finished, "\(cluster.logs)")
            #expect(try cluster.runState(run) == "completed", "\(cluster.logs)")
            #expect(try cluster.completedShards(run) == 120)
            // Every training line once per epoch, minus the unspellable one wherever it fell.
            let trained = try cluster.query(
                "SELECT sum(value) FROM metrics WHERE run_id = $1 AND name = 'worker_samples'", [run]).double(0, 0) ?? 0
            let skipped = try cluster.query(
                "SELECT coalesce(sum(value), 0) FROM metrics WHERE run_id = $1 AND name = 'worker_skipped'", [run]).double(0, 0) ?? 0
            #expect(trained + skipped == 10 * 5601 && (skipped == 0 || skipped == 10), "trained \(trained), skipped \(skipped)")
            // It learns: the validation loss on the held-out lines falls well below where it started.
            let losses = try cluster.query(
                "SELECT value FROM metrics WHERE run_id = $1 AND name = 'val_loss' ORDER BY step", [run])
            let first = try losses.double(0, 0) ?? 0, last = try losses.double(losses.count - 1, 0) ?? .infinity
            #expect(losses.count >= 3 && last < 0.5 * first, "validation loss \(first) → \(last)\n\(cluster.logs)")
            cluster.stopAll()
        }
    }
}
