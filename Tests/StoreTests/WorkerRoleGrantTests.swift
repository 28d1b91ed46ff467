import Foundation
import Testing
import TestSupport
@testable import Store

/// The worker role's grants and their revocation, read back from PostgreSQL's privilege checks
/// (the end-to-end WorkerRoleTests train a run with such a role).
@Suite struct WorkerRoleGrantTests {
    @Test func grantsExactlyWhatAWorkerNeedsAndRevokeTakesItBack() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        // Roles belong to the cluster, not to the test's database: a name of its own, dropped after.
        let name = "crnn_worker_\(UInt32.random(in: 0...UInt32.max))"
        defer { _ = try? connection.execute("DROP ROLE IF EXISTS \(name)") }
        let role = WorkerRole(connection: connection)
        try role.grant(to: name, password: "it's secret")
        try role.grant(to: name)  // again: harmless

        func may(_ privilege: String, on table: String) throws -> Bool {
            try connection.execute("SELECT has_table_privilege($1, $2, $3)", [name, table, privilege]).bool(0, 0) == true
        }
        #expect(try may("SELECT", on: "runs") && !(try may("UPDATE", on: "runs")))
        #expect(try may("INSERT", on: "metrics") && !(try may("DELETE", on: "metrics")))
        #expect(try !may("SELECT", on: "checkpoint_chunks"))
        // The claim reads released trials; stored datasets are read, never written.
        #expect(try may("SELECT", on: "experiment_trial_runs") && !(try may("UPDATE", on: "experiment_trial_runs")))
        #expect(try may("SELECT", on: "dataset_lines") && !(try may("INSERT", on: "dataset_lines")) && !(try may("DELETE", on: "datasets")))
        #expect(try !may("SELECT", on: "experiment_specs"))
        let password = try connection.execute("SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = $1", [name])
        #expect(password.bool(0, 0) == true)

        try role.revoke(from: name)
        #expect(try !may("SELECT", on: "runs") && !(try may("INSERT", on: "metrics")) && !(try may("SELECT", on: "dataset_lines")))
        #expect(throws: WorkerRole.Failure.self) { try role.grant(to: "Robert'); DROP TABLE runs;--") }
    }
}
