import Foundation
import Store
import Testing
import TestSupport

extension EndToEnd {
    /// deploy/slurm for real: deploy/slurm/single-node.sh configures a one-node Slurm cluster,
    /// submits crnn-workers.sbatch as a 2-task job array against a small run and tears it all down.
    @Suite(.serialized) struct SlurmArrayTests {
        @Test func aTwoTaskJobArrayTrainsARunToCompletion() throws {
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("deploy/slurm/single-node.sh").path
            let output = try CommandRunner.run(["/bin/bash", script, "--bin", BuiltProducts.directory.path, "--workers", "2", "--timeout", "240"],
                                               environment: ["DATABASE_URL": ""])
            #expect(output.status == 0, "\(output.text)")
            #expect(output.text.contains("slurm up: try* 1 node(s)"), "\(output.text)")
            #expect(output.text.contains("run 1: completed"), "\(output.text)")
            // Both array tasks registered as workers and completed shards of the run.
            let rows = output.text.split(separator: "\n").filter { $0.contains("slurm-") && $0.contains("|") }
            #expect(rows.count == 2, "\(output.text)")
            let samples = rows.compactMap { Int($0.split(separator: "|").last?.trimmingCharacters(in: .whitespaces) ?? "") }
            #expect(samples.reduce(0, +) == 1024, "\(output.text)")
            #expect(output.text.contains("job array finished: yes"), "\(output.text)")
        }
    }
}
