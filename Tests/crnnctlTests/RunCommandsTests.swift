import Foundation
import Testing
import TestSupport
import Store

/// `crnnctl submit / runs / show / cancel / metrics / checkpoints / bench` as a user runs them,
/// against a fresh test database each.
@Suite struct RunCommandsTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples")

    /// Runs crnnctl against `url`, with DATABASE_URL cleared so nothing else is reached.
    func crnnctl(_ arguments: [String], db url: String) throws -> CommandRunner.Output {
        try BuiltProducts.run("crnnctl", arguments + ["--db", url], environment: ["DATABASE_URL": ""])
    }

    func temporaryFile(_ name: String, _ text: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crnnctl-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let badConfigs: [(name: String, yaml: String, expected: String)] = [
        ("bad-yaml", "model: tiny\ncharset: [digits\n", "bad-yaml.yaml:3"),
        ("unknown-key", "model: tiny\ncharset: digits\ndata: {synthetic: {samples_per_epoch: 10}}\nepoch: 3\n",
         "unknown-key.yaml:4: epoch: unknown key"),
        ("wrong-type", "model: tiny\ncharset: digits\ndata: {synthetic: {samples_per_epoch: lots}}\n",
         "wrong-type.yaml:3: data.synthetic.samples_per_epoch: expected an integer, got 'lots'"),
        ("out-of-range", "model: tiny\ncharset: digits\ndata: {synthetic: {samples_per_epoch: 10}}\nbatch_size: 0\n",
         "out-of-range.yaml:4: batch_size: must be between 1 and 65536, got 0"),
    ]

    @Test(arguments: badConfigs.map(\.name))
    func submitRefusesABadConfigNamingKeyAndLine(name: String) throws {
        let bad = try #require(Self.badConfigs.first { $0.name == name })
        let path = try temporaryFile("\(name).yaml", bad.yaml)
        let url = try TestDatabase.freshDatabaseURL()
        let output = try crnnctl(["submit", path], db: url)
        #expect(output.status != 0)
        #expect(output.text.contains(bad.expected), "\(output.text)")
    }

    @Test func submitRefusesAMissingFileAndABadOverride() throws {
        let url = try TestDatabase.freshDatabaseURL()
        let missing = try crnnctl(["submit", "/nonexistent/run.yaml"], db: url)
        #expect(missing.status != 0 && missing.text.contains("/nonexistent/run.yaml: cannot read config: no such file"))
        let demo = Self.examples.appendingPathComponent("demo.yaml").path
        let override = try crnnctl(["submit", demo, "--set", "optimizer.lr=fast"], db: url)
        #expect(override.status != 0 && override.text.contains("optimizer.lr: expected a number, got 'fast'"), "\(override.text)")
    }

    @Test func submitListShowCancel() throws {
        let url = try TestDatabase.freshDatabaseURL()
        let demo = Self.examples.appendingPathComponent("demo.yaml").path
        let submit = try crnnctl(["submit", demo, "--name", "cli-demo", "--priority", "4", "--set", "epochs=2"], db: url)
        #expect(submit.status == 0, "\(submit.text)")
        // examples/demo.yaml: 20,000 samples per epoch in shards of 512 → 40 per epoch (the last short).
        #expect(submit.text.contains("run 1 queued: 80 shards"), "\(submit.text)")

        let json = try crnnctl(["runs", "--json"], db: url)
        #expect(json.status == 0)
        let runs = try JSONSerialization.jsonObject(with: Data(json.text.utf8)) as? [[String: Any]]
        #expect(runs?.first?["name"] as? String == "cli-demo")
        #expect(runs?.first?["shards_total"] as? Int == 80)
        #expect(runs?.first?["priority"] as? Int == 4)

        let pause = try crnnctl(["pause", "1"], db: url)
        #expect(pause.status != 0 && pause.text.contains("the run is queued; it cannot pause"))
        let cancel = try crnnctl(["cancel", "1", "--reason", "wrong lr"], db: url)
        #expect(cancel.status == 0 && cancel.text.contains("run 1: queued -> cancelled"), "\(cancel.text)")
        let show = try crnnctl(["show", "1"], db: url)
        #expect(show.status == 0)
        #expect(show.text.contains("state:      cancelled") && show.text.contains("wrong lr"))
        #expect(show.text.contains("--set epochs=2") && show.text.contains("model: tiny"))
        let none = try crnnctl(["show", "42"], db: url)
        #expect(none.status != 0 && none.text.contains("there is no run 42"))
        let zero = try crnnctl(["show", "0"], db: url)
        #expect(zero.status != 0 && zero.text.contains("RUN must be a positive run id"))
    }

    @Test func metricsAsCSVAndCheckpointFetchByteForByte() throws {
        let url = try TestDatabase.freshDatabaseURL()
        let demo = Self.examples.appendingPathComponent("demo.yaml").path
        #expect(try crnnctl(["submit", demo], db: url).status == 0)
        let connection = try PostgresConnection(url: url)
        try MetricsStore(connection: connection).insert([
            .init(run: 1, step: 1, name: "train_loss", value: 3.5), .init(run: 1, step: 2, name: "train_loss", value: 2.25),
            .init(run: 1, step: 2, name: "val_accuracy", value: 0.5),
        ])
        let csv = try crnnctl(["metrics", "1", "--name", "train_loss", "--csv"], db: url)
        let lines = csv.text.split(separator: "\n").map(String.init)
        #expect(lines.first == "step,time,name,value,worker" && lines.count == 3)
        #expect(lines.last?.hasPrefix("2,") == true && lines.last?.contains(",train_loss,2.25,") == true)

        var bytes = [UInt8](repeating: 0, count: 2_500_000)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }
        let record = try CheckpointStore(connection: connection).store(
            run: 1, step: 2, kind: .best, bytes: bytes, metrics: ["val_accuracy": 0.5], chunkSize: 1 << 20)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("fetched-\(UInt32.random(in: 0...UInt32.max)).crnn").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let fetch = try crnnctl(["checkpoints", "fetch", "1", "--best", "-o", output], db: url)
        #expect(fetch.status == 0, "\(fetch.text)")
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: output))) == bytes)
        // Fetching again over the file replaces it (a second `make demo` does exactly this).
        try Data("stale".utf8).write(to: URL(fileURLWithPath: output))
        let again = try crnnctl(["checkpoints", "fetch", "1", "--best", "-o", output], db: url)
        #expect(again.status == 0, "\(again.text)")
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: output))) == bytes)
        let list = try crnnctl(["checkpoints", "list", "1"], db: url)
        #expect(list.text.contains(String(record.sha256.prefix(16))))

        try connection.execute("UPDATE checkpoint_chunks SET bytes = '\\x00'::bytea || bytes WHERE checkpoint_id = $1 AND seq = 0", [record.id])
        let damaged = try crnnctl(["checkpoints", "fetch", "1", "--step", "2", "-o", output + ".2"], db: url)
        #expect(damaged.status != 0 && damaged.text.contains("is damaged"), "\(damaged.text)")
        #expect(!FileManager.default.fileExists(atPath: output + ".2"), "nothing written for a damaged checkpoint")
        let neither = try crnnctl(["checkpoints", "fetch", "1", "-o", output], db: url)
        #expect(neither.status != 0 && neither.text.contains("exactly one of --best, --latest, --step"))
    }

    @Test func plotWritesTheRunsCurvesAsSVG() throws {
        let url = try TestDatabase.freshDatabaseURL()
        let demo = Self.examples.appendingPathComponent("demo.yaml").path
        #expect(try crnnctl(["submit", demo, "--name", "curves <&>"], db: url).status == 0)
        let connection = try PostgresConnection(url: url)
        var samples: [MetricSample] = []
        for step in 1...20 {
            let at = Int64(step * 10)
            samples.append(MetricSample(run: 1, step: at, name: "train_loss", value: 3 / Double(step)))
            samples.append(MetricSample(run: 1, step: at, name: "val_accuracy", value: Double(step) / 20))
        }
        try MetricsStore(connection: connection).insert(samples)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("curves-\(UInt32.random(in: 0...UInt32.max)).svg").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let plot = try crnnctl(["plot", "1", "-o", output], db: url)
        #expect(plot.status == 0 && plot.text.contains("20 training-loss points, 20 validations"), "\(plot.text)")
        let svg = try String(contentsOfFile: output, encoding: .utf8)
        #expect(svg.hasPrefix("<?xml") && svg.contains("<svg") && svg.components(separatedBy: "<polyline").count == 3)
        #expect(svg.contains("curves &lt;&amp;&gt;") && !svg.contains("curves <&>"), "the run's name is escaped")
        let missing = try crnnctl(["plot", "7", "-o", output], db: url)
        #expect(missing.status != 0 && missing.text.contains("7"), "\(missing.text)")
    }

    @Test func benchQueueReportsNoDoubleClaims() throws {
        let url = try TestDatabase.freshDatabaseURL()
        let bench = try crnnctl(["bench", "queue", "--claimers", "4", "--shards", "300"], db: url)
        #expect(bench.status == 0, "\(bench.text)")
        #expect(bench.text.contains("300 claims in") && bench.text.contains("double-claims: 0; lost: 0"))
        // The scratch schema is gone afterwards.
        let schemas = try PostgresConnection(url: url).execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'crnn_bench_%'")
        #expect(try schemas.int(0, 0) == 0)
    }

    static let newCommands: [[String]] = [
        ["submit"], ["runs"], ["show"], ["cancel"], ["pause"], ["resume"], ["metrics"], ["checkpoints"],
        ["checkpoints", "list"], ["checkpoints", "fetch"], ["sql"], ["bench", "queue"],
    ]

    @Test(arguments: newCommands)
    func helpIsReadable(path: [String]) throws {
        let output = try BuiltProducts.run("crnnctl", path + ["--help"])
        #expect(output.status == 0)
        #expect(output.text.contains("OVERVIEW:") && output.text.contains("USAGE: crnnctl"))
    }
}
