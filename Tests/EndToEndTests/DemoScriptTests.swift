import Foundation
import Testing
import TestSupport
import Store

extension EndToEnd {
    /// `make demo`'s pipeline (scripts/demo) at a reduced budget: local PostgreSQL, coordinator and
    /// two workers, training, fetching the best checkpoint, predicting ten fresh images, the table.
    @Suite struct DemoScriptTests {
        @Test func demoPipelineRunsEndToEndAndStopsItsDaemons() async throws {
            let home = FileManager.default.temporaryDirectory.appendingPathComponent("crnn-demo-\(UInt32.random(in: 0...UInt32.max))").path
            let environment = ["CRNN_HOME": home, "CRNN_BIN": BuiltProducts.directory.path, "DATABASE_URL": "",
                               "CRNN_DEMO_SET": "epochs=1 data.synthetic.samples_per_epoch=2048 validation.every=40 validation.size=100"]
            defer {
                _ = try? BuiltProducts.run("crnnctl", ["db", "stop"], environment: environment)
                try? FileManager.default.removeItem(atPath: home)
            }
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().path
            let demo = try ChildProcess(["/bin/bash", root + "/scripts/demo"], environment: environment,
                                        logPath: FileManager.default.temporaryDirectory.path + "/crnn-demo-\(getpid()).log")
            let status = await demo.waitFor(seconds: 600)
            let output = demo.log
            #expect(status == 0, "\(output)")
            #expect(output.contains("completed"), "\(output)")
            #expect(output.contains("verified"), "the best checkpoint was fetched and checked: \(output)")
            #expect(output.contains(" of 10 read exactly"), "\(output)")
            #expect(output.contains("own lines      line accuracy") && output.contains("foreign lines  line accuracy"),
                    "it scores its own fresh lines and the foreign digit set: \(output)")
            let rows = output.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("0000") }
            #expect(rows.count == 10, "one table row per fresh image: \(output)")
            #expect(FileManager.default.fileExists(atPath: home + "/demo/best.crnn"))
            #expect(output.contains("select * from run_summary"), "it suggests SQL to try")
            // The daemons it started are gone; PostgreSQL keeps running.
            let daemons = try CommandRunner.run(["/usr/bin/pgrep", "-f", "crnn-(coordinator|worker).*\(home)"])
            #expect(daemons.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
            let status2 = try BuiltProducts.run("crnnctl", ["db", "status"], environment: environment)
            #expect(status2.text.contains("state: running"))
        }
    }
}
