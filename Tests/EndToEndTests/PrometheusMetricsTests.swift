import Foundation
import Store
import Testing
import TestSupport

extension EndToEnd {
    /// `--metrics`: a coordinator and a worker train a small run; Prometheus' own checker accepts
    /// what both serve, and the figures agree with the database.
    @Suite struct PrometheusMetricsTests {
        /// The address a daemon logged for its metrics endpoint.
        func endpoint(in log: @autoclosure () -> String) async -> String? {
            var found: String?
            _ = await waitUntil(timeout: 60) {
                found = log().split(separator: "\n").first { $0.contains("metrics for Prometheus at http://") }
                    .flatMap { $0.split(separator: " ").first { $0.hasPrefix("http://") } }.map(String.init)
                return found != nil
            }
            return found
        }

        func scrape(_ url: String, bearer: String? = nil) throws -> CommandRunner.Output {
            try CommandRunner.run(["/usr/bin/curl", "-s", "--max-time", "30", "-w", "\n%{http_code}"]
                                  + (bearer.map { ["-H", "Authorization: Bearer \($0)"] } ?? []) + [url])
        }

        /// The value of the sample line that starts with `series` (name and labels).
        func value(_ text: String, _ series: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(series + " ") }
                .flatMap { Double($0.split(separator: " ").last ?? "") }
        }

        /// `promtool check metrics` on `text`: Prometheus' own linter of the exposition format.
        func promtool(_ text: String) throws -> CommandRunner.Output {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("scrape-\(UInt32.random(in: 0...UInt32.max)).txt").path
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }
            return try CommandRunner.run(["/bin/sh", "-c", "/usr/bin/promtool check metrics < '\(file)'"])
        }

        @Test func daemonsServeMetricsPrometheusAcceptsAndTheFiguresAgree() async throws {
            let cluster = try Cluster()
            let run = try cluster.submit(yaml: """
                model: tiny
                charset: digits
                image: {height: 32, width: 64}
                data: {synthetic: {samples_per_epoch: 2048}}
                batch_size: 32
                shard_size: 64
                gradients: {codec: topk+fp16+zstd}
                validation: {size: 32, every: 4}
                """)
            try cluster.startCoordinator(["--metrics", "0.0.0.0:0"])
            let worker = try cluster.startWorker(extra: ["--metrics", "127.0.0.1:0"])
            let coordinatorLog = "\(cluster.directory)/coordinator-1.log"
            let coordinatorURL = try #require(await endpoint(in: (try? String(contentsOfFile: coordinatorLog, encoding: .utf8)) ?? ""), "\(cluster.logs)")
            let workerURL = try #require(await endpoint(in: worker.log), "\(cluster.logs)")
            let local = coordinatorURL.replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
            // A scrape while the run trains, and one after: pushes keep increasing.
            #expect(try await waitUntil(timeout: 120) { try cluster.completedShards(run) >= 2 }, "\(cluster.logs)")
            let during = try scrape(local, bearer: cluster.token)
            let stillTraining = try cluster.runState(run) == "running"
            #expect(try await waitUntil(timeout: 180) { try cluster.runState(run) == "completed" }, "\(cluster.logs)")
            // The coordinator listens on every address: the token is required there.
            #expect(try scrape(local).text.hasSuffix("401"))
            #expect(try scrape(local, bearer: "wrong").text.hasSuffix("401"))
            let coordinator = try scrape(local, bearer: cluster.token)
            #expect(coordinator.text.hasSuffix("200"), "\(coordinator.text)")
            let coordinatorText = String(coordinator.text.dropLast(4))
            let checked = try promtool(coordinatorText)
            #expect(checked.status == 0, "promtool: \(checked.text)\n\(coordinatorText)")

            let applied = try #require(value(coordinatorText, "crnn_ps_pushes_total{run=\"\(run)\",outcome=\"applied\"}"), "\(coordinatorText)")
            let appliedDuring = value(String(during.text.dropLast(4)), "crnn_ps_pushes_total{run=\"\(run)\",outcome=\"applied\"}") ?? 0
            #expect(stillTraining && appliedDuring > 0 && appliedDuring < applied, "during the run \(appliedDuring), after \(applied)")
            let samples = try cluster.query("SELECT coalesce(sum(value), 0) FROM metrics WHERE run_id = $1 AND name = 'worker_samples'", [run]).double(0, 0) ?? 0
            #expect(samples == 2048)
            #expect(applied >= 64, "2048 samples in batches of 32 are at least 64 pushes")
            #expect(value(coordinatorText, "crnn_queue_shards{run=\"\(run)\",state=\"completed\"}") == 32)
            #expect(value(coordinatorText, "crnn_queue_shards{run=\"\(run)\",state=\"available\"}") == 0)
            #expect((value(coordinatorText, "crnn_ps_received_bytes_total{run=\"\(run)\",codec=\"topk+fp16+zstd\"}") ?? 0) > 0)
            #expect((value(coordinatorText, "crnn_ps_optimizer_step_seconds_count{run=\"\(run)\"}") ?? 0) >= 1)
            #expect(value(coordinatorText, "crnn_validation_line_accuracy_ratio{run=\"\(run)\"}") != nil)
            let version = try cluster.query("SELECT max(step) FROM metrics WHERE run_id = $1", [run]).int(0, 0) ?? 0
            #expect(value(coordinatorText, "crnn_ps_version{run=\"\(run)\"}") == Double(version))

            // The worker's endpoint is on loopback: no token needed.
            let scraped = try scrape(workerURL)
            #expect(scraped.text.hasSuffix("200"), "\(scraped.text)")
            let workerText = String(scraped.text.dropLast(4))
            let workerChecked = try promtool(workerText)
            #expect(workerChecked.status == 0, "promtool: \(workerChecked.text)\n\(workerText)")
            #expect(value(workerText, "crnn_worker_samples_total{run=\"\(run)\"}") == 2048)
            // 32 shards; a claim made before the coordinator published its address is given back and claimed again.
            #expect((value(workerText, "crnn_worker_shard_claims_total") ?? 0) >= 32)
            #expect((value(workerText, "crnn_worker_step_seconds_count") ?? 0) >= 64)
            #expect((value(workerText, "crnn_worker_samples_per_second{run=\"\(run)\"}") ?? 0) > 0)
            cluster.stopAll()
        }
    }
}
