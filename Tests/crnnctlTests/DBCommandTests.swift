import Foundation
import Testing
import TestSupport
import Store

/// `crnnctl db ...` end to end, as a user runs it, on its own private cluster.
@Suite struct DBCommandTests {
    @Test func startTwiceQueryAndStop() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("crnn-cli-\(UInt32.random(in: 0...UInt32.max))").path
        let environment = ["CRNN_HOME": home, "DATABASE_URL": ""]
        defer {
            _ = try? BuiltProducts.run("crnnctl", ["db", "stop"], environment: environment)
            try? FileManager.default.removeItem(atPath: home)
        }
        let first = try BuiltProducts.run("crnnctl", ["db", "start"], environment: environment)
        #expect(first.status == 0, "\(first.text)")
        #expect(first.text.contains("started PostgreSQL"))
        let second = try BuiltProducts.run("crnnctl", ["db", "start"], environment: environment)
        #expect(second.status == 0, "\(second.text)")
        #expect(second.text.contains("already running"))

        let url = try BuiltProducts.run("crnnctl", ["db", "url"], environment: environment)
            .text.trimmingCharacters(in: .whitespacesAndNewlines)
        let psql = try CommandRunner.run(["/usr/bin/psql", url, "-tA", "-c", "select 40 + 2"])
        #expect(psql.status == 0, "\(psql.text)")
        #expect(psql.text.trimmingCharacters(in: .whitespacesAndNewlines) == "42")

        let status = try BuiltProducts.run("crnnctl", ["db", "status"], environment: environment)
        #expect(status.text.contains("state: running"))
        let stop = try BuiltProducts.run("crnnctl", ["db", "stop"], environment: environment)
        #expect(stop.status == 0 && stop.text.contains("stopped PostgreSQL"))
        let after = try BuiltProducts.run("crnnctl", ["db", "status"], environment: environment)
        #expect(after.status == 3 && after.text.contains("state: stopped"))
    }
}
