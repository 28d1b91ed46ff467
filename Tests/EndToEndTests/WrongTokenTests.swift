import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// A worker whose token the parameter server refuses says so and exits non-zero after giving
    /// its shard back, instead of claiming and giving back for ever (17 claims in 25 s).
    @Suite struct WrongTokenTests {
        @Test func aWorkerWithAWrongTokenSaysSoAndStops() async throws {
            let cluster = try Cluster()
            let run = try cluster.submit(yaml: """
                model: tiny
                charset: digits
                image: {height: 32, width: 64}
                data: {synthetic: {samples_per_epoch: 64}}
                shard_size: 32
                batch_size: 8
                """)
            try cluster.startCoordinator()
            let worker = try cluster.startWorker(overriding: ["CRNN_TOKEN": "not-\(cluster.token)"])
            // Bounded: it exits on its first refusal, once the coordinator serves the run.
            let status = await worker.waitFor(seconds: 90)
            #expect(status == 1, "exit status \(String(describing: status)): \(cluster.logs)")
            #expect(worker.log.contains("refused this worker's token") && worker.log.contains("CRNN_TOKEN"), "\(worker.log)")
            // One refusal ends it. (A claim made before the coordinator stored the run's alphabet is
            // given back too, which is transient and retried; so count refusals, not give-backs.)
            let refusals = worker.log.split(separator: "\n").filter { $0.contains("refused this worker's token") && $0.contains("giving it back") }
            #expect(refusals.count == 1, "one refusal, then it stops: \(worker.log)")
            let held = try cluster.query("SELECT count(*) FROM shards WHERE run_id = $1 AND state <> 'available'", [run]).int(0, 0)
            #expect(held == 0, "the shard went back to the queue, attempts unspent")
            cluster.stopAll()
        }
    }
}
