import Foundation
import Testing
import TestSupport

/// A run the coordinator cannot train fails once, with its reason stored, instead of erroring
/// on every scheduler tick.
@Suite struct UntrainableRunTests {
    @Test func synchronousModeFailsTheRunWithAClearReason() throws {
        let cluster = try Cluster()
        let run = try cluster.submit(yaml: """
            model: tiny
            charset: digits
            image: {height: 32, width: 64}
            data: {synthetic: {samples_per_epoch: 64}}
            batch_size: 32
            sync: true
            """)
        try cluster.startCoordinator()
        #expect(try waitUntil(timeout: 60) { try cluster.runState(run) == "failed" }, "\(cluster.logs)")
        let error = try cluster.query("SELECT error FROM runs WHERE id = $1", [run]).string(0, 0) ?? ""
        #expect(error.contains("sync") && error.contains("not supported"), "\(error)")
        cluster.stopAll()
    }
}
