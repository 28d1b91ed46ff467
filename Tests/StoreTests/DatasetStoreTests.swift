import Foundation
import Testing
import TestSupport
@testable import Store

/// Datasets stored in PostgreSQL: one transaction per import, read back by label and by line.
@Suite struct DatasetStoreTests {
    struct Broken: Error {}

    @Test func addedLinesComeBackByLabelAndByLineAndRemoveCascades() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let store = DatasetStore(connection: connection)
        let images: [[UInt8]] = [[0x89, 1, 2], [0xFF, 0xD8, 0xFF, 3], [0x89, 9]]
        let record = try store.add(name: "lines.v1", source: "/data/lines", format: "tsv") { line in
            for (i, image) in images.enumerated() { try line(image, ["12", "", "中文"][i]) }
        }
        #expect(record.lines == 3 && record.bytes == 9)
        #expect(try store.list().map(\.name) == ["lines.v1"] && store.find("lines.v1").lines == 3)
        #expect(try store.labels(dataset: record.id) == ["12", "", "中文"])
        #expect(try store.images(dataset: record.id, lines: [3, 1]) == [1: images[0], 3: images[2]])
        #expect(try store.images(dataset: record.id, lines: [7]).isEmpty)
        #expect(throws: DatasetStore.Failure.exists("lines.v1")) {
            try store.add(name: "lines.v1", source: "x", format: "tsv") { try $0([0x89], "1") }
        }
        try store.remove("lines.v1")
        #expect(throws: DatasetStore.Failure.noSuchDataset("lines.v1")) { try store.find("lines.v1") }
        let rows = try connection.execute("SELECT count(*) FROM dataset_lines")
        #expect(try rows.int(0, 0) == 0, "the lines went with it")
    }

    /// Removing a dataset that unfinished runs train on (alone or in a mix) is refused, naming
    /// them, and removes nothing; once they are finished, or with force, it goes.
    @Test func removingADatasetThatUnfinishedRunsTrainOnIsRefused() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let store = DatasetStore(connection: connection), runs = RunStore(connection: connection)
        func add(_ name: String) throws -> DatasetStore.Record {
            try store.add(name: name, source: "/data/\(name)", format: "tsv") { line in
                for i in 0..<4 { try line([0x89, UInt8(i)], "\(i)") }
            }
        }
        let used = try add("receipts"), other = try add("forms")
        let yaml = "model: tiny\ncharset: digits\nimage: {height: 32, width: 64}\ndata: {dataset: receipts}\nshard_size: 2\nbatch_size: 2\n"
        var alone = try RunConfigParser().parse(yaml: yaml, file: "r.yaml", baseDirectory: "/tmp")
        alone.data = .stored(name: "receipts", id: used.id, samples: used.lines)
        var mixed = alone
        mixed.data = .mix(dataset: .stored(name: "receipts", id: used.id, samples: used.lines), weight: 0.5, samplesPerEpoch: 8)
        let first = try runs.submit(config: alone, configYAML: yaml).run
        let second = try runs.submit(config: mixed, configYAML: yaml).run

        #expect(throws: DatasetStore.Failure.inUse("receipts", runs: ["run \(first) (queued)", "run \(second) (queued)"])) {
            try store.remove("receipts")
        }
        #expect(try store.find("receipts").lines == 4, "nothing removed")
        try store.remove("forms")
        #expect(try store.list().map(\.name) == ["receipts"], "a dataset no run uses goes: \(other.name)")

        try runs.apply(.cancel, run: first, actor: "test")
        #expect(throws: DatasetStore.Failure.inUse("receipts", runs: ["run \(second) (queued)"])) { try store.remove("receipts") }
        try store.remove("receipts", force: true)
        #expect(throws: DatasetStore.Failure.noSuchDataset("receipts")) { try store.find("receipts") }
        let message = DatasetStore.Failure.inUse("receipts", runs: ["run 2 (running)"]).description
        #expect(message == "dataset 'receipts' is what run 2 (running) trains on: without it its shards would fail. "
                + "Cancel it first (crnnctl cancel RUN), or give --force")
    }

    @Test func aFailedImportLeavesNothingAndBadNamesAreRefused() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let store = DatasetStore(connection: connection)
        #expect(throws: Broken.self) {
            try store.add(name: "half", source: "x", format: "lmdb") { line in
                try line([0x89], "1")
                throw Broken()
            }
        }
        let rows = try connection.execute("SELECT (SELECT count(*) FROM datasets), (SELECT count(*) FROM dataset_lines)")
        #expect(try rows.int(0, 0) == 0 && rows.int(0, 1) == 0)
        #expect(throws: DatasetStore.Failure.empty("none")) { try store.add(name: "none", source: "x", format: "tsv") { _ in } }
        for bad in ["", "../etc", "a b", "-lead", String(repeating: "x", count: 101), "x/y"] {
            #expect(throws: DatasetStore.Failure.badName(bad)) { try store.add(name: bad, source: "x", format: "tsv") { _ in } }
        }
    }

    @Test func aRunNamesAStoredDatasetOrAFolder() throws {
        let yaml = "model: tiny\ncharset: digits\nimage: {height: 32, width: 64}\ndata: {dataset: receipts-2025}\n"
        let config = try RunConfigParser().parse(yaml: yaml, file: "r.yaml", baseDirectory: "/tmp")
        #expect(config.data == .stored(name: "receipts-2025", id: 0, samples: 0) && config.data.isDataset)
        let json = try config.jsonString()
        #expect(json.contains(#""stored":{"#) && json.contains(#""name":"receipts-2025""#), "\(json)")
        // A path is a folder, checked as before.
        #expect(throws: RunConfigError.self) {
            try RunConfigParser().parse(yaml: yaml.replacingOccurrences(of: "receipts-2025", with: "/nonexistent/lines"),
                                        file: "r.yaml", baseDirectory: "/tmp")
        }
    }

    @Test func aMixTakesOneDatasetAndOneSyntheticPart() throws {
        let base = "model: tiny\ncharset: digits\nimage: {height: 32, width: 64}\nshard_size: 100\nbatch_size: 10\n"
        func parse(_ data: String) throws -> RunConfig {
            try RunConfigParser().parse(yaml: base + "data: " + data, file: "m.yaml", baseDirectory: "/tmp")
        }
        let config = try parse("{mix: [{dataset: receipts, weight: 3}, {synthetic: {}, weight: 7}], samples_per_epoch: 1000}")
        #expect(config.data == .mix(dataset: .stored(name: "receipts", id: 0, samples: 0), weight: 0.3, samplesPerEpoch: 1000))
        #expect(config.samplesPerEpoch == 1000 && config.totalShards == 10 && config.data.isDataset && !config.data.isSliced)
        #expect(try RunConfig(json: config.jsonString()) == config, "stored with the run as JSON and read back")
        let refusals: [(String, String)] = [
            ("{mix: [{dataset: a, weight: 1}, {dataset: b, weight: 1}]}", "samples_per_epoch"),
            ("{mix: [{dataset: a, weight: 1}, {dataset: b, weight: 1}], samples_per_epoch: 10}", "one dataset part"),
            ("{mix: [{dataset: a, weight: 1}], samples_per_epoch: 10}", "one dataset part and one synthetic part"),
            ("{mix: [{dataset: a, weight: 0}, {synthetic: {}, weight: 1}], samples_per_epoch: 10}", "must be in"),
            ("{mix: [{dataset: a}, {synthetic: {}, weight: 1}], samples_per_epoch: 10}", "weight"),
            ("{mix: [{dataset: a, weight: 1, font: x}, {synthetic: {}, weight: 1}], samples_per_epoch: 10}", "unknown key"),
        ]
        for (data, words) in refusals {
            #expect(throws: RunConfigError.self, "\(data)") { try parse(data) }
            do { _ = try parse(data) } catch { #expect("\(error)".contains(words), "\(data) → \(error)") }
        }
    }
}
