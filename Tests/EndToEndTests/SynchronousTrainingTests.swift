import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// The synchronous (barrier) mode, kept for comparison with the asynchronous default: two
    /// workers, one averaged step per pair of pushes, and the run still learns.
    @Suite struct SynchronousTrainingTests {
        @Test func twoWorkersStepTogetherAndTheRunLearns() async throws {
            let cluster = try Cluster()
            let run = try cluster.submit(yaml: """
                name: e2e-sync
                model: tiny
                charset: digits
                image: {height: 32, width: 128}
                data: {synthetic: {samples_per_epoch: 9600}}
                epochs: 4
                shard_size: 640
                batch_size: 32
                optimizer: {type: adam, lr: 0.005}
                gradients: {codec: fp16+zstd}
                sync: true
                validation: {size: 300, every: 100}
                seed: 11
                """)
            try cluster.startCoordinator()
            try cluster.startWorker()
            try cluster.startWorker()
            let finished = try await waitUntil(timeout: 600, interval: 1) {
                let state = try cluster.runState(run)
                return state != "running" && state != "queued"
            }
            #expect(finished, "\(cluster.logs)")
            #expect(try cluster.runState(run) == "completed", "\(cluster.logs)")
            // Two workers at the barrier: most steps hold both pushes (a worker between shards or
            // the last shard's lone worker step alone).
            let pushes = try cluster.query(
                "SELECT sum(value) FROM metrics WHERE run_id = $1 AND name = 'updates_per_s'", [run]).double(0, 0) ?? 0
            let perUpdate = try cluster.query("""
                SELECT sum(p.value * u.value) / nullif(sum(u.value), 0) FROM metrics p
                  JOIN metrics u ON u.run_id = p.run_id AND u.step = p.step AND u.name = 'updates_per_s'
                 WHERE p.run_id = $1 AND p.name = 'pushes_per_update'
                """, [run]).double(0, 0) ?? 0
            #expect(pushes > 0 && perUpdate >= 1.5, "pushes per update \(perUpdate)\n\(cluster.logs)")
            // It learns: the validation loss falls well below where it started.
            let losses = try cluster.query(
                "SELECT value FROM metrics WHERE run_id = $1 AND name = 'val_loss' ORDER BY step", [run])
            let first = try losses.double(0, 0) ?? 0, last = try losses.double(losses.count - 1, 0) ?? .infinity
            #expect(last < 0.25 * first, "validation loss \(first) → \(last)\n\(cluster.logs)")
            let best = try cluster.query(
                "SELECT max(value) FROM metrics WHERE run_id = $1 AND name = 'val_accuracy'", [run]).double(0, 0) ?? 0
            #expect(best >= 0.5, "best validation accuracy \(best)\n\(cluster.logs)")
            cluster.stopAll()
        }
    }
}
