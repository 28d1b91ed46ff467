import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// A small ASHA search on a real coordinator and worker: trials wait paused at the rungs while
    /// the next ones train (with --max-runs 1, a paused trial must not hold the only slot), the poor
    /// ones stop, the best goes to its full budget, and every shard is counted once. A trial takes
    /// seconds, so that the coordinator (one look per second) pauses it near its rung.
    @Suite struct ExperimentSearchTests {
        @Test func ashaStopsThePoorTrialsAndRunsTheBestToItsEnd() async throws {
            let cluster = try Cluster()
            let path = cluster.directory + "/search.yaml"
            try """
                model: tiny
                charset: digits
                image: {height: 32, width: 128}
                data: {synthetic: {samples_per_epoch: 4096}}
                shard_size: 128
                batch_size: 32
                optimizer: {type: adam, lr: 0.001}
                validation: {size: 32, every: 2}
                checkpoints: {best: 1, keep_latest: false}
                search:
                  method: asha
                  trials: 5
                  max_concurrent: 2
                  metric: val_loss
                  seed: 3
                  asha: {min_budget: 0.25, reduction_factor: 3}
                  parameters:
                    optimizer.lr: {log_uniform: [1.0e-6, 0.1]}
                """.write(toFile: path, atomically: true, encoding: .utf8)
            let submitted = try cluster.crnnctl(["submit", path])
            #expect(submitted.status == 0 && submitted.text.contains("experiment 1 queued: asha, 5 trials"), "\(submitted.text)")
            try cluster.startCoordinator(["--max-runs", "1"])
            try cluster.startWorker()
            let finished = try await waitUntil(timeout: 240) {
                try cluster.query("SELECT state::text FROM experiment_specs WHERE id = 1").string(0, 0) == "completed"
            }
            #expect(finished, "\(cluster.logs)")
            let trials = try cluster.query("""
                SELECT trial, state, budget_used, budget_full, stopped_reason FROM experiment_trials
                 WHERE experiment = 1 ORDER BY trial
                """)
            let states = (0..<trials.count).map { trials.string($0, 1) ?? "" }
            // Rung 0 keeps the top ⌈5/3⌉ = 2, rung 1 the top 1 of those: one trial goes the whole
            // way, four stop (three if a pause came too late to stop one before its end).
            #expect(states.filter { $0 == "completed" }.count >= 1 && states.filter { $0 == "stopped" }.count >= 3, "\(states)")
            #expect(states.allSatisfy { $0 == "completed" || $0 == "stopped" }, "\(states)")
            // On a fast machine a trial can finish its last shards between ASHA's decision and the
            // pause: stopped at a rung with its whole budget used. At most one may (the race above).
            var stoppedAtFullBudget = 0
            for row in 0..<trials.count {
                let used = try trials.int(row, 2) ?? -1, full = try trials.int(row, 3) ?? -1
                #expect(full == 4096 && used <= full, "trial \(row + 1) trained \(used) of \(full)")
                if states[row] == "completed" { #expect(used == full, "every shard once") }
                if states[row] == "stopped" {
                    #expect(trials.string(row, 4)?.contains("stopped by ASHA at rung") == true)
                    if used == full { stoppedAtFullBudget += 1 }
                }
            }
            #expect(stoppedAtFullBudget <= 1, "\(stoppedAtFullBudget) stopped trials had trained their whole budget")
            let summary = try cluster.crnnctl(["experiments", "show", "1"])
            #expect(summary.status == 0 && summary.text.contains("completed, metric val_loss"), "\(summary.text)")
            let compute = try cluster.query("SELECT samples_used, samples_all_trials_full FROM experiments WHERE experiment = 1")
            #expect(try compute.int(0, 0)! < compute.int(0, 1)! * 3 / 4, "ASHA saved compute")
            let failed = try cluster.query("SELECT count(*) FROM shards WHERE state = 'failed'").int(0, 0)
            #expect(failed == 0)
            let best = cluster.directory + "/best.crnn"
            let fetched = try cluster.crnnctl(["checkpoints", "fetch", "--experiment", "1", "--best", "-o", best])
            #expect(fetched.status == 0 && fetched.text.contains("the best trial of experiment 1"), "\(fetched.text)")
            cluster.stopAll()
        }
    }
}
