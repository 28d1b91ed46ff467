import Foundation
import Store
import TestSupport

/// A real cluster for end-to-end tests: a fresh database on the test PostgreSQL, a coordinator
/// and workers as separate processes of the built executables, logs in a temporary folder.
final class Cluster {
    let databaseURL: String
    let directory: String
    let token = "e2e-\(UInt64.random(in: 0...UInt64.max))"
    /// Every coordinator started, oldest first.
    private(set) var coordinators: [ChildProcess] = []
    /// The newest coordinator.
    var coordinator: ChildProcess? { coordinators.last }
    private(set) var workers: [ChildProcess] = []
    private var coordinatorStarts = 0
    private var workerStarts = 0

    init() throws {
        databaseURL = try TestDatabase.freshDatabaseURL(prefix: "e2e")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("crnn-e2e-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit {
        stopAll()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var environment: [String: String] { ["CRNN_TOKEN": token, "DATABASE_URL": databaseURL, "CRNN_HOME": directory] }

    /// Runs crnnctl with the cluster's database.
    func crnnctl(_ arguments: [String]) throws -> CommandRunner.Output {
        try BuiltProducts.run("crnnctl", arguments, environment: environment)
    }

    /// Writes `yaml` and submits it; returns the run id.
    /// A dataset folder of `count` rendered digit lines (PNGs + labels.tsv) under the cluster's folder.
    func generateLines(_ name: String, count: Int, seed: Int, width: Int = 64, height: Int = 32) throws -> String {
        let folder = directory + "/" + name
        let generated = try crnnctl(["gen", "--charset", "digits", "--count", "\(count)", "--seed", "\(seed)",
                                     "--width", "\(width)", "--height", "\(height)", "--out", folder])
        guard generated.status == 0 else {
            throw ClusterError.command("gen", generated.text)
        }
        return folder
    }

    func submit(yaml: String, overrides: [String] = []) throws -> Int64 {
        let path = directory + "/run.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let output = try crnnctl(["submit", path] + overrides.flatMap { ["--set", $0] })
        // "run N queued: …" (a dataset's check may print warnings before it).
        let queued = output.text.split(separator: "\n").first { $0.hasPrefix("run ") && $0.contains(" queued") }
        guard output.status == 0, let id = queued?.split(separator: " ").dropFirst().first.flatMap({ Int64($0) }) else {
            throw ClusterError.command("submit", output.text)
        }
        return id
    }

    /// Starts a coordinator (another one beside those running, when called again).
    func startCoordinator(_ extra: [String] = []) throws {
        coordinatorStarts += 1
        coordinators.append(try ChildProcess(
            [BuiltProducts.path("crnn-coordinator"), "--listen", "127.0.0.1:0", "--threads", "1"] + extra,
            environment: environment, logPath: "\(directory)/coordinator-\(coordinatorStarts).log"))
    }

    /// Starts a worker; `overriding` replaces parts of the cluster's environment (a wrong token).
    @discardableResult
    func startWorker(overriding: [String: String] = [:], extra: [String] = []) throws -> ChildProcess {
        workerStarts += 1
        let worker = try ChildProcess(
            [BuiltProducts.path("crnn-worker"), "--threads", "1", "--name", "w\(workerStarts)",
             "--lease-seconds", "6", "--report-interval", "5"] + extra,
            environment: environment.merging(overriding) { $1 }, logPath: "\(directory)/worker-\(workerStarts).log")
        workers.append(worker)
        return worker
    }

    func stopAll() {
        for worker in workers where worker.isRunning { worker.signal(SIGTERM) }
        for coordinator in coordinators where coordinator.isRunning { coordinator.signal(SIGTERM) }
        for worker in workers where worker.waitBlocking(seconds: 20) == nil { worker.signal(SIGKILL) }
        for coordinator in coordinators where coordinator.waitBlocking(seconds: 20) == nil { coordinator.signal(SIGKILL) }
    }

    // MARK: reading the database

    func query(_ sql: String, _ parameters: [PostgresBindable] = []) throws -> PostgresResult {
        try PostgresConnection(url: databaseURL).execute(sql, parameters)
    }

    func runState(_ run: Int64) throws -> String {
        try query("SELECT state::text FROM runs WHERE id = $1", [run]).string(0, 0) ?? "?"
    }

    func completedShards(_ run: Int64) throws -> Int {
        try query("SELECT count(*) FROM shards WHERE run_id = $1 AND state = 'completed'", [run]).int(0, 0) ?? 0
    }

    /// Everyone's logs, for a failure message.
    var logs: String {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory))?.filter { $0.hasSuffix(".log") }.sorted() ?? []
        return files.map { name in
            let text = (try? String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8)) ?? ""
            return "=== \(name)\n" + text.split(separator: "\n").suffix(25).joined(separator: "\n")
        }.joined(separator: "\n")
    }
}

enum ClusterError: Error, CustomStringConvertible {
    case command(String, String)
    var description: String {
        switch self {
        case let .command(name, output): return "crnnctl \(name) failed: \(output)"
        }
    }
}
