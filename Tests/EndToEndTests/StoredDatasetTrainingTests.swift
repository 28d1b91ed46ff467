import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// A dataset stored in PostgreSQL (`crnnctl datasets add`, then `data: {dataset: NAME}`): the
    /// source folder is deleted before training, and two workers with homes of their own read their
    /// shards from the database; the run learns.
    @Suite struct StoredDatasetTrainingTests {
        @Test func twoWorkersTrainOnADatasetOnlyTheDatabaseHolds() async throws {
            let cluster = try Cluster()
            let folder = try cluster.generateLines("lines", count: 3000, seed: 23)
            let added = try cluster.crnnctl(["datasets", "add", "digits-3k", folder])
            #expect(added.status == 0 && added.text.contains("dataset digits-3k added: 3000 lines"), "\(added.text)")
            try FileManager.default.removeItem(atPath: folder)
            let again = try cluster.crnnctl(["datasets", "add", "digits-3k", try cluster.generateLines("more", count: 3, seed: 1)])
            #expect(again.status != 0 && again.text.contains("already exists"), "\(again.text)")

            let run = try cluster.submit(yaml: """
                name: e2e-stored
                model: tiny
                charset: digits
                image: {height: 32, width: 64}
                data: {dataset: digits-3k}
                epochs: 6
                shard_size: 400
                batch_size: 16
                optimizer: {type: adam, lr: 0.002}
                gradients: {codec: fp16+zstd}
                validation: {size: 300, every: 150}
                seed: 5
                """)
            // 3,000 lines: 300 held out, 2,700 trained per epoch in 7 shards.
            let planned = try cluster.query("SELECT count(*), sum(sample_count) FROM shards WHERE run_id = $1 AND epoch = 0", [run])
            #expect(try planned.int(0, 0) == 7 && planned.int(0, 1) == 2700)

            try cluster.startCoordinator()
            for home in ["home-a", "home-b"] {
                let path = cluster.directory + "/" + home
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                try cluster.startWorker(overriding: ["CRNN_HOME": path])
            }
            let finished = try await waitUntil(timeout: 300, interval: 1) {
                let state = try cluster.runState(run)
                return state != "running" && state != "queued"
            }
            let state = try cluster.runState(run)
            #expect(finished && state == "completed", "\(cluster.logs)")
            let trained = try cluster.query(
                "SELECT sum(value) FROM metrics WHERE run_id = $1 AND name = 'worker_samples'", [run]).double(0, 0) ?? 0
            #expect(trained == 6 * 2700, "every training line once per epoch")
            let workers = try cluster.query("SELECT count(DISTINCT lease_owner) FROM shards WHERE run_id = $1", [run]).int(0, 0)
            #expect(workers == 2, "both workers read from the database")
            let losses = try cluster.query("SELECT value FROM metrics WHERE run_id = $1 AND name = 'val_loss' ORDER BY step", [run])
            let first = try losses.double(0, 0) ?? 0, last = try losses.double(losses.count - 1, 0) ?? .infinity
            #expect(losses.count >= 3 && last < 0.6 * first, "validation loss \(first) → \(last)\n\(cluster.logs)")
            // A mixed run: half of every minibatch from the stored lines, half rendered; it validates
            // on the dataset's held-out lines.
            let mixed = try cluster.submit(yaml: """
                name: e2e-mixed
                model: tiny
                charset: digits
                image: {height: 32, width: 64}
                data: {mix: [{dataset: digits-3k, weight: 1}, {synthetic: {}, weight: 1}], samples_per_epoch: 1200}
                shard_size: 400
                batch_size: 16
                optimizer: {type: adam, lr: 0.002}
                validation: {size: 300, every: 30}
                seed: 5
                """)
            let mixedDone = try await waitUntil(timeout: 120, interval: 1) { try cluster.runState(mixed) == "completed" }
            #expect(mixedDone, "\(cluster.logs)")
            let mixedSamples = try cluster.query(
                "SELECT sum(value) FROM metrics WHERE run_id = $1 AND name = 'worker_samples'", [mixed]).double(0, 0) ?? 0
            #expect(mixedSamples == 1200)
            let validated = try cluster.query("SELECT count(*) FROM metrics WHERE run_id = $1 AND name = 'val_accuracy'", [mixed]).int(0, 0)
            #expect((validated ?? 0) >= 1)
            let listed = try cluster.crnnctl(["datasets", "list"])
            #expect(listed.text.contains("digits-3k") && listed.text.contains("3000"), "\(listed.text)")
            cluster.stopAll()
        }
    }
}
