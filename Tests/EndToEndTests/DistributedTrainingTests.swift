import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// Real processes on a real database: a coordinator and workers train a run to a useful
    /// accuracy while a worker is killed and the coordinator restarts under them.
    @Suite struct DistributedTrainingTests {
        /// The demo's recipe (examples/demo.yaml): tiny model, digits.
        static func config(direction: String, width: Int, height: Int, pulls: String = "exact") -> String {
            """
            name: e2e-\(direction)
            model: tiny
            charset: digits
            direction: \(direction)
            image: {height: \(height), width: \(width)}
            data: {synthetic: {samples_per_epoch: 16000}}
            epochs: 8
            shard_size: 512
            batch_size: 32
            optimizer: {type: adam, lr: 0.002}
            schedule: {type: step, every: 5, gamma: 0.2}
            gradients: {codec: fp16+zstd}
            pulls: {codec: \(pulls)}
            staleness: {bound: 4, policy: downweight}
            validation: {size: 400, every: 200}
            checkpoints: {best: 2, keep_latest: true}
            seed: 7
            max_attempts: 5
            """
        }

        /// With sharded parameter servers (issue 17): the coordinator serves the run's parameters
        /// as two key ranges, each on its own socket with its own optimiser; killing the coordinator
        /// kills both shards, and the restarted one resumes both from one consistent checkpoint.
        @Test func horizontalRunSurvivesAWorkerKillAndACoordinatorRestart() async throws {
            let cluster = try Cluster()
            let run = try cluster.submit(yaml: Self.config(direction: "horizontal", width: 128, height: 32))
            let shards = try cluster.query("SELECT count(*) FROM shards WHERE run_id = $1", [run]).int(0, 0) ?? 0
            try cluster.startCoordinator(["--ps-shards", "2"])
            let doomed = try cluster.startWorker()
            try cluster.startWorker()

            // Kill one worker in the middle of its work; its shard must come back through the rescuer.
            #expect(try await waitUntil(timeout: 240) { try cluster.completedShards(run) >= 8 }, "\(cluster.logs)")
            doomed.signal(SIGKILL)
            await doomed.waitFor(seconds: 10)
            try cluster.startWorker()

            // Restart the coordinator mid-run: it resumes from the latest checkpoint.
            #expect(try await waitUntil(timeout: 240) { try cluster.completedShards(run) >= shards / 3 }, "\(cluster.logs)")
            cluster.coordinator?.signal(SIGKILL)
            await cluster.coordinator?.waitFor(seconds: 10)
            try cluster.startCoordinator(["--ps-shards", "2"])

            let finished = try await waitUntil(timeout: 900, interval: 1) { try cluster.runState(run) != "running" }
            #expect(finished, "\(cluster.logs)")
            #expect(try cluster.runState(run) == "completed", "\(cluster.logs)")
            #expect(try cluster.completedShards(run) == shards)
            // Each shard's completion metrics were inserted exactly once.
            let completions = try cluster.query(
                "SELECT count(*) FROM metrics WHERE run_id = $1 AND name = 'worker_samples'", [run]).int(0, 0)
            #expect(completions == shards)
            let rescued = try cluster.query(
                "SELECT count(*) FROM shards WHERE run_id = $1 AND attempt > 0", [run]).int(0, 0) ?? 0
            #expect(rescued >= 1, "the killed worker's shard went back to the queue")
            let resumed = cluster.coordinator?.log.contains("resuming from its checkpoint") ?? false
            #expect(resumed, "the restarted coordinator resumed from a checkpoint")
            // Every surviving worker says it joined the restarted coordinator where it listens
            // (the line used to show the address of the claim, the dead coordinator's).
            // The run's address lists both shards; every worker pushed and pulled both ranges.
            let address = try cluster.query("SELECT ps_address FROM runs WHERE id = $1", [run]).string(0, 0) ?? "?"
            #expect(address.split(separator: ",").count == 2, "ps_address \(address)")
            let show = try cluster.crnnctl(["show", "\(run)"])
            let shardList = address.split(separator: ",").enumerated().map { "\($0.offset + 1) at \($0.element)" }.joined(separator: ", ")
            #expect(show.text.contains("parameters: 2 shards: \(shardList)"), "\(show.text)")
            let servers = address.replacingOccurrences(of: ",", with: ", ")
            for worker in cluster.workers where worker.isRunning {
                let joins = worker.log.split(separator: "\n").filter { $0.contains("joined 2 parameter-server shards at ") }
                #expect(joins.last?.contains("joined 2 parameter-server shards at \(servers) ") == true, "\(joins)")
            }

            let best = try cluster.query(
                "SELECT max(value) FROM metrics WHERE run_id = $1 AND name = 'val_accuracy'", [run]).double(0, 0) ?? 0
            #expect(best >= 0.95, "best validation accuracy \(best)\n\(cluster.logs)")

            // The best checkpoint, fetched as a user would, reads fresh lines.
            let file = cluster.directory + "/best.crnn"
            let fetch = try cluster.crnnctl(["checkpoints", "fetch", "\(run)", "--best", "-o", file])
            #expect(fetch.status == 0, "\(fetch.text)")
            let eval = try cluster.crnnctl(["eval", "--checkpoint", file, "--synthetic", "200", "--seed", "4242", "--json"])
            let report = try JSONSerialization.jsonObject(with: Data(eval.text.utf8.drop { $0 != UInt8(ascii: "{") })) as? [String: Any]
            let accuracy = (report?["line_accuracy"] as? Double) ?? (report?["lineAccuracy"] as? Double) ?? -1
            #expect(accuracy >= 0.9, "fresh-sample accuracy \(accuracy): \(eval.text)")
            cluster.stopAll()
        }

        @Test func verticalRunLearns() async throws {
            let cluster = try Cluster()
            // Vertical lines 32 wide and 128 tall: upright digits stacked top to bottom. Delta pulls
            // (issue 17): the daemons' real path, over the network, to the same accuracy.
            let run = try cluster.submit(yaml: Self.config(direction: "vertical", width: 32, height: 128,
                                                           pulls: "topk+fp16+zstd, k: 0.03"))
            try cluster.startCoordinator()
            try cluster.startWorker()
            try cluster.startWorker()
            let finished = try await waitUntil(timeout: 900, interval: 1) { try cluster.runState(run) != "running" && cluster.runState(run) != "queued" }
            #expect(finished, "\(cluster.logs)")
            #expect(try cluster.runState(run) == "completed", "\(cluster.logs)")
            let best = try cluster.query(
                "SELECT max(value) FROM metrics WHERE run_id = $1 AND name = 'val_accuracy'", [run]).double(0, 0) ?? 0
            #expect(best >= 0.95, "best validation accuracy \(best)\n\(cluster.logs)")
            // Exact pulls of this model send ≈ 234 kB each (BENCHMARKS.md, "Delta pulls"); delta
            // pulls a fraction of that, anchors included.
            let sent = try cluster.query(
                "SELECT sum(value) FILTER (WHERE name = 'bytes_out'), sum(value) FILTER (WHERE name = 'pulls') FROM metrics WHERE run_id = $1",
                [run])
            let (bytesOut, pulls) = (try sent.double(0, 0) ?? 0, try sent.double(0, 1) ?? 0)
            #expect(pulls > 20 && bytesOut / pulls < 100_000, "\(bytesOut) bytes in \(pulls) pulls")

            // The checkpoint knows it is vertical: predict reads a fresh vertical line rendered by gen.
            let file = cluster.directory + "/best.crnn"
            #expect(try cluster.crnnctl(["checkpoints", "fetch", "\(run)", "--best", "-o", file]).status == 0)
            let images = cluster.directory + "/fresh"
            let gen = try cluster.crnnctl(["gen", "--direction", "vertical", "--charset", "digits", "--count", "20",
                                           "--seed", "777", "--width", "32", "--height", "128", "--out", images])
            #expect(gen.status == 0, "\(gen.text)")
            let predict = try cluster.crnnctl(["predict", "--checkpoint", file, "--dir", images])
            let truths = try String(contentsOfFile: images + "/labels.tsv", encoding: .utf8)
                .split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
            let readings = predict.text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
            let right = zip(truths, readings).filter { $0.count >= 2 && $1.count >= 2 && $0[1] == $1[1] }.count
            #expect(right >= 17, "\(right) of 20 fresh vertical lines read exactly:\n\(predict.text)")
            cluster.stopAll()
        }
    }
}
