import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// Two coordinators on one database used to both adopt every running run: the second
    /// overwrote the parameter server's address, resumed at an older step, and both completed
    /// the run. Now a run belongs to the coordinator holding its advisory lock; the other one
    /// serves other runs.
    @Suite struct TwoCoordinatorsTests {
        @Test func eachRunIsTrainedByExactlyOneCoordinator() async throws {
            let cluster = try Cluster()
            let yaml = """
                model: tiny
                charset: digits
                image: {height: 32, width: 64}
                data: {synthetic: {samples_per_epoch: 2560}}
                epochs: 2
                batch_size: 32
                shard_size: 128
                validation: {size: 32, every: 8}
                """
            let first = try cluster.submit(yaml: yaml)
            let second = try cluster.submit(yaml: yaml)
            try cluster.startCoordinator(["--max-runs", "1"])
            #expect(try await waitUntil(timeout: 60) { try cluster.runState(first) == "running" }, "\(cluster.logs)")
            let firstAddress = try cluster.query("SELECT ps_address FROM runs WHERE id = $1", [first]).string(0, 0)
            try cluster.startCoordinator(["--max-runs", "1"])
            #expect(try await waitUntil(timeout: 60) { try cluster.runState(second) == "running" }, "\(cluster.logs)")
            try cluster.startWorker()
            let done = try await waitUntil(timeout: 300) {
                try cluster.runState(first) == "completed" && cluster.runState(second) == "completed"
            }
            #expect(done, "\(cluster.logs)")

            // The first run kept its coordinator's address; the second coordinator left it alone.
            #expect(try cluster.query("SELECT ps_address FROM runs WHERE id = $1", [first]).string(0, 0) == firstAddress)
            let (a, b) = (cluster.coordinators[0].log, cluster.coordinators[1].log)
            #expect(a.contains("run \(first) completed") && !a.contains("run \(second) completed"), "\(a)")
            #expect(b.contains("run \(second) completed") && !b.contains("run \(first) completed"), "\(b)")
            #expect(b.contains("run \(first) is trained by another coordinator"), "\(b)")
            for run in [first, second] {
                let completions = try cluster.query(
                    "SELECT count(*) FROM run_events WHERE run_id = $1 AND to_state = 'completed'", [run]).int(0, 0)
                #expect(completions == 1, "run \(run) completed \(completions ?? -1) times")
                // Validation steps never go backwards in the order they were written. (The
                // coordinator validates at most once a tick: the run is long enough for several.)
                let steps = try cluster.query(
                    "SELECT step FROM metrics WHERE run_id = $1 AND name = 'val_accuracy' ORDER BY time, step", [run])
                let values = try (0..<steps.count).map { try steps.int($0, 0) ?? -1 }
                #expect(values.count >= 2 && values == values.sorted(), "run \(run) validation steps \(values)")
            }
            cluster.stopAll()
        }
    }
}
