import Foundation
import Store
import Testing
import TestSupport

extension EndToEnd {
    /// Workers need not hold the schema owner's URL: `crnnctl db worker-role` makes a role that
    /// trains a run to the end and can do nothing else.
    @Suite struct WorkerRoleTests {
        @Test func aWorkerWithTheLeastPrivilegeRoleTrainsAndCannotRewriteRuns() async throws {
            let cluster = try Cluster()
            let role = "crnn_worker_\(UInt32.random(in: 0...UInt32.max))"
            let made = try cluster.crnnctl(["db", "worker-role", role])
            #expect(made.status == 0, "\(made.text)")
            let roleURL = cluster.databaseURL.replacingOccurrences(of: "user=\(LocalPostgres.superuser)", with: "user=\(role)")
            #expect(roleURL != cluster.databaseURL)
            defer {
                _ = try? cluster.crnnctl(["db", "worker-role", role, "--revoke"])
                _ = try? cluster.query("DROP ROLE IF EXISTS \(role)")
            }

            let run = try cluster.submit(yaml: """
                model: tiny
                charset: digits
                image: {height: 32, width: 64}
                data: {synthetic: {samples_per_epoch: 256}}
                batch_size: 32
                shard_size: 64
                validation: {size: 32, every: 4}
                """)
            try cluster.startCoordinator()
            try cluster.startWorker(overriding: ["DATABASE_URL": roleURL])
            #expect(try await waitUntil(timeout: 120) { try cluster.runState(run) == "completed" }, "\(cluster.logs)")
            #expect(try cluster.completedShards(run) == 4)
            let workerMetrics = try cluster.query(
                "SELECT count(*) FROM metrics WHERE run_id = $1 AND worker_id IS NOT NULL", [run]).int(0, 0) ?? 0
            #expect(workerMetrics > 0)
            cluster.stopAll()

            // What the role must not do.
            let connection = try PostgresConnection(url: roleURL)
            for statement in [
                "UPDATE runs SET state = 'failed' WHERE id = \(run)",
                "UPDATE runs SET hyperparameters = '{}' WHERE id = \(run)",
                "DELETE FROM shards WHERE run_id = \(run)",
                "UPDATE shards SET sample_count = 1 WHERE run_id = \(run)",
                "DELETE FROM metrics WHERE run_id = \(run)",
                "SELECT count(*) FROM checkpoint_chunks",
                "INSERT INTO run_events (run_id, to_state, actor) VALUES (\(run), 'failed', 'x')",
                "CREATE TABLE stolen (x int)",
            ] {
                var refusal = ""
                do { _ = try connection.execute(statement) } catch { refusal = "\(error)" }
                #expect(refusal.contains("permission denied"), "\(statement): \(refusal.isEmpty ? "allowed" : refusal)")
            }
            #expect(try cluster.runState(run) == "completed")
        }
    }
}
