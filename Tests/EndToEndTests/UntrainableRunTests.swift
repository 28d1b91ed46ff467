import Engine
import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// A run the coordinator cannot train fails once, with its reason stored, instead of erroring
    /// on every scheduler tick.
    @Suite struct UntrainableRunTests {
        @Test func datasetFolderGoneAfterSubmitFailsWithAClearReason() async throws {
            let cluster = try Cluster()
            let lines = try cluster.generateLines("lines", count: 20, seed: 3)
            let run = try cluster.submit(yaml: """
                model: tiny
                charset: digits
                image: {height: 32, width: 64}
                data: {dataset: \(lines)}
                batch_size: 8
                shard_size: 8
                """)
            // Submit counted and checked the folder; the coordinator's machine no longer has it.
            try FileManager.default.removeItem(atPath: lines)
            try cluster.startCoordinator()
            #expect(try await waitUntil(timeout: 60) { try cluster.runState(run) == "failed" }, "\(cluster.logs)")
            let error = try cluster.query("SELECT error FROM runs WHERE id = $1", [run]).string(0, 0) ?? ""
            #expect(error.contains("run \(run): dataset folder \(lines) not readable on the coordinator"), "\(error)")
            #expect(error.contains("labels.tsv"), "the underlying reason is kept: \(error)")
            // Failed once, not once per scheduler tick.
            let failures = try cluster.query(
                "SELECT count(*) FROM run_events WHERE run_id = $1 AND to_state = 'failed'", [run]).int(0, 0)
            #expect(failures == 1)
            cluster.stopAll()
        }

        /// A config stored before submit bounded the validation set (or edited in the database)
        /// asks for 10,000,000 held-out lines, 164 GB: the coordinator used to abort on every
        /// restart. Now that run fails with its reason and the coordinator trains the next one.
        @Test func aRunTooLargeToSetUpFailsAloneAndTheNextRunTrains() async throws {
            let cluster = try Cluster()
            let small = """
                model: tiny
                charset: digits
                image: {height: 32, width: 64}
                data: {synthetic: {samples_per_epoch: 64}}
                batch_size: 32
                shard_size: 64
                validation: {size: 32, every: 100}
                """
            let huge = try cluster.submit(yaml: small)
            let next = try cluster.submit(yaml: small)
            _ = try cluster.query("""
                UPDATE runs SET hyperparameters = jsonb_set(hyperparameters, '{validation,size}', '10000000')
                 WHERE id = $1
                """, [huge])
            try cluster.startCoordinator()
            _ = try cluster.startWorker()
            #expect(try await waitUntil(timeout: 120) { try cluster.runState(next) == "completed" }, "\(cluster.logs)")
            #expect(try cluster.runState(huge) == "failed", "\(cluster.logs)")
            let error = try cluster.query("SELECT error FROM runs WHERE id = $1", [huge]).string(0, 0) ?? ""
            #expect(error.contains("run \(huge): validation.size") && error.contains("MiB"), "\(error)")
            cluster.stopAll()
        }

        /// Parameters so large that every forward pass overflows (finite on disk, NaN in use):
        /// workers used to claim and give back the run's shards forever with attempts at 0.
        /// Now each failed try spends an attempt, the shards end failed, and the run (no shard
        /// trained) fails with the reason instead of staying `running` or reading `completed`.
        @Test func aRunWhoseParametersCannotBeUsedFailsVisibly() async throws {
            let cluster = try Cluster()
            let model = CRNNModel(config: ModelPreset.tiny.config(classes: 11), seed: 5)
            model.parameters["conv1.weight"].update(repeating: 3e38)
            let file = cluster.directory + "/overflowing.crnn"
            let digits = (0...9).map(String.init)
            try Data(try model.checkpoint(preset: "tiny", charset: digits, imageHeight: 32, imageWidth: 64,
                                          step: 0, metrics: [:]).encoded()).write(to: URL(fileURLWithPath: file))
            let run = try cluster.submit(yaml: """
                model: tiny
                charset: digits
                image: {height: 32, width: 64}
                data: {synthetic: {samples_per_epoch: 32}}
                batch_size: 16
                shard_size: 16
                max_attempts: 2
                validation: {size: 16, every: 100}
                init: {checkpoint: \(file)}
                """)
            try cluster.startCoordinator()
            _ = try cluster.startWorker()
            #expect(try await waitUntil(timeout: 120) { try cluster.runState(run) == "failed" }, "\(cluster.logs)")
            let error = try cluster.query("SELECT error FROM runs WHERE id = $1", [run]).string(0, 0) ?? ""
            #expect(error.contains("all 2 shards failed after their maximum attempts")
                    && error.contains("the gradient is not finite"), "\(error)")
            // The shards spent their attempts with the worker's reason.
            let shards = try cluster.query("""
                SELECT count(*) FILTER (WHERE attempt > 0), count(*) FILTER (WHERE error LIKE '%not finite%')
                  FROM shards WHERE run_id = $1
                """, [run])
            #expect(try shards.int(0, 0) == 2 && shards.int(0, 1) == 2, "\(cluster.logs)")
            cluster.stopAll()
        }
    }
}
