import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// A run the coordinator cannot train fails once, with its reason stored, instead of erroring
    /// on every scheduler tick.
    @Suite struct UntrainableRunTests {
        @Test func datasetFolderGoneAfterSubmitFailsWithAClearReason() throws {
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
            #expect(try waitUntil(timeout: 60) { try cluster.runState(run) == "failed" }, "\(cluster.logs)")
            let error = try cluster.query("SELECT error FROM runs WHERE id = $1", [run]).string(0, 0) ?? ""
            #expect(error.contains("run \(run): dataset folder \(lines) not readable on the coordinator"), "\(error)")
            #expect(error.contains("labels.tsv"), "the underlying reason is kept: \(error)")
            // Failed once, not once per scheduler tick.
            let failures = try cluster.query(
                "SELECT count(*) FROM run_events WHERE run_id = $1 AND to_state = 'failed'", [run]).int(0, 0)
            #expect(failures == 1)
            cluster.stopAll()
        }
    }
}
