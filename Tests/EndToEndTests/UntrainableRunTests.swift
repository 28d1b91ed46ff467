import Foundation
import Testing
import TestSupport

/// A run the coordinator cannot train fails once, with its reason stored, instead of erroring
/// on every scheduler tick.
@Suite struct UntrainableRunTests {
    @Test func datasetRunFailsWithAClearReason() throws {
        let cluster = try Cluster()
        let labels = cluster.directory + "/lines"
        try FileManager.default.createDirectory(atPath: labels, withIntermediateDirectories: true)
        try "a.png\t12\n".write(toFile: labels + "/labels.tsv", atomically: true, encoding: .utf8)
        let run = try cluster.submit(yaml: """
            model: tiny
            charset: digits
            image: {height: 32, width: 64}
            data: {dataset: \(labels)}
            batch_size: 32
            """)
        try cluster.startCoordinator()
        #expect(try waitUntil(timeout: 60) { try cluster.runState(run) == "failed" }, "\(cluster.logs)")
        let error = try cluster.query("SELECT error FROM runs WHERE id = $1", [run]).string(0, 0) ?? ""
        #expect(error.contains("dataset") && error.contains("not supported"), "\(error)")
        cluster.stopAll()
    }
}
