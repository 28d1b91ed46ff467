import Foundation
import Testing
import TestSupport

/// `crnnctl datasets check` on one crafted bad dataset (every problem class once), and submit
/// refusing a run on it before anything is queued.
@Suite struct DatasetCheckTests {
    let commands = RunCommandsTests()

    /// 8 lines: 3 fine (one a byte-for-byte copy of another), an empty label, a character outside
    /// the digits, a label too long for 128 px, an image that is not one, a blank image.
    func badDataset() throws -> String {
        let folder = try temporaryFolder("bad-dataset")
        for (name, width) in [("a", 100), ("b", 104), ("c", 108), ("d", 112), ("h", 116)] {
            try writePNG("\(folder)/\(name).png", width: width, height: 32, channels: 1)
        }
        try FileManager.default.copyItem(atPath: "\(folder)/a.png", toPath: "\(folder)/g.png")
        try Data("not an image at all".utf8).write(to: URL(fileURLWithPath: "\(folder)/e.png"))
        try writePNG("\(folder)/f.png", width: 1, height: 1, channels: 1)
        try """
            a.png\t123
            b.png\t
            c.png\t12x
            d.png\t\(String(repeating: "1", count: 22))
            e.png\t5
            f.png\t6
            g.png\t456
            h.png\t7

            """.write(toFile: "\(folder)/labels.tsv", atomically: true, encoding: .utf8)
        return folder
    }

    func config(_ folder: String, direction: String = "horizontal", image: String = "{height: 32, width: 128}") throws -> String {
        let path = folder + "/../\(UUID().uuidString).yaml"
        try """
            model: tiny
            charset: digits
            direction: \(direction)
            image: \(image)
            data: {dataset: \(folder)}
            shard_size: 2
            batch_size: 2
            validation: {size: 1, every: 10}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func everyProblemClassIsFoundAndCounted() throws {
        let folder = try badDataset()
        let checked = try BuiltProducts.run("crnnctl", ["datasets", "check", folder, "--config", try config(folder), "--json"])
        #expect(checked.status == 1, "\(checked.text)")
        let json = try JSONSerialization.jsonObject(with: Data(checked.text.utf8)) as? [String: Any]
        #expect(json?["lines"] as? Int == 8 && json?["usable"] as? Int == 3, "\(checked.text)")
        let errors = Dictionary(uniqueKeysWithValues: (json?["errors"] as? [[String: Any]] ?? []).map {
            ($0["problem"] as? String ?? "", $0["lines"] as? Int ?? 0)
        })
        #expect(errors == ["empty label": 1, "characters outside the charset": 1, "label too long for the CTC sequence": 1,
                           "unreadable image": 1, "blank image": 1], "\(errors)")
        #expect((json?["unknown_characters"] as? [String: Int]) == ["x": 1])
        let warnings = json?["warnings"] as? [[String: Any]] ?? []
        #expect(warnings.first?["problem"] as? String == "duplicate image")
        #expect((warnings.first?["examples"] as? [String])?.first == "labels.tsv:7: the same bytes as labels.tsv:1")

        let text = try BuiltProducts.run("crnnctl", ["datasets", "check", folder, "--config", try config(folder)])
        #expect(text.text.contains("labels.tsv:4: 22 characters need 43 time steps, the image gives 29"), "\(text.text)")
        #expect(text.text.contains("labels.tsv:5: ") && text.text.contains("A run on it would fail: 5 of 8 lines are unusable."))
        #expect(text.text.contains("heights (px): ") && text.text.contains("aspect (width/height): "))

        // submit refuses it, naming the file, the key and why; nothing reaches the database.
        let refused = try commands.crnnctl(["submit", try config(folder)], db: "postgresql:///never-reached")
        #expect(refused.status != 0 && refused.text.contains("data.dataset \(folder): a run on it would fail: 5 of 8 lines are unusable"),
                "\(refused.text)")
        #expect(!refused.text.contains("connect"))
    }

    @Test func linesOfTheOtherDirectionAreCaught() throws {
        let folder = try temporaryFolder("tall-dataset")
        var labels = ""
        for i in 0..<4 {
            try writePNG("\(folder)/\(i).png", width: 32, height: 100 + 4 * i, channels: 1)
            labels += "\(i).png\t\(i)\n"
        }
        try labels.write(toFile: "\(folder)/labels.tsv", atomically: true, encoding: .utf8)
        let horizontal = try BuiltProducts.run("crnnctl", ["datasets", "check", folder, "--config", try config(folder)])
        #expect(horizontal.status == 1 && horizontal.text.contains("4 of 4 images are taller than wide: they look like vertical lines"),
                "\(horizontal.text)")
        let vertical = try BuiltProducts.run("crnnctl", ["datasets", "check", folder, "--config",
                                                         try config(folder, direction: "vertical", image: "{height: 128, width: 32}")])
        #expect(vertical.status == 0 && vertical.text.contains("No problems found."), "\(vertical.text)")
        let bare = try BuiltProducts.run("crnnctl", ["datasets", "check", folder])
        #expect(bare.status == 1 && bare.text.contains("taller than wide"), "without a config the run is assumed horizontal")
    }

    @Test func importThenCheckAsAUserWould() throws {
        let fixtures = RunCommandsTests.examples.deletingLastPathComponent().appendingPathComponent("Tests/DatasetImportTests/Fixtures").path
        let folder = try temporaryFolder("import") + "/lines"
        let imported = try BuiltProducts.run("crnnctl", ["datasets", "import", fixtures + "/easyocr", "-o", folder])
        #expect(imported.status == 0 && imported.text.contains("imported 4 lines") && imported.text.contains("(easyocr)"), "\(imported.text)")
        let checked = try BuiltProducts.run("crnnctl", ["datasets", "check", folder])
        #expect(checked.status == 0 && checked.text.contains("4 lines, 4 usable"), "\(checked.text)")
        let again = try BuiltProducts.run("crnnctl", ["datasets", "import", fixtures + "/bad-lmdb", "-o", folder + "-2"])
        #expect(again.status == 1 && again.text.contains("bad-lmdb/data.mdb: is damaged"), "\(again.text)")
        #expect(!FileManager.default.fileExists(atPath: folder + "-2"))
        let unknown = try BuiltProducts.run("crnnctl", ["datasets", "import", NSTemporaryDirectory(), "-o", folder + "-3"])
        #expect(unknown.status != 0 && unknown.text.contains("give --format"), "\(unknown.text)")
    }

    @Test func aStoredDatasetIsCheckedTheSameAndSubmitRefusesItToo() throws {
        let url = try TestDatabase.freshDatabaseURL()
        let folder = try badDataset()
        // The importer refuses bytes that are no image at all: leave that line out.
        let labels = try String(contentsOfFile: folder + "/labels.tsv", encoding: .utf8)
        try labels.split(separator: "\n").filter { !$0.hasPrefix("e.png") }.map { $0 + "\n" }.joined()
            .write(toFile: folder + "/labels.tsv", atomically: true, encoding: .utf8)
        #expect(try commands.crnnctl(["datasets", "add", "bad-lines", folder], db: url).status == 0)
        let shown = try commands.crnnctl(["datasets", "show", "bad-lines"], db: url)
        #expect(shown.status == 0 && shown.text.contains("dataset bad-lines: 7 lines") && shown.text.contains("label lengths: 0–22 characters"),
                "\(shown.text)")
        let checked = try commands.crnnctl(["datasets", "check", "bad-lines", "--config", try config(folder)], db: url)
        #expect(checked.status == 1 && checked.text.contains("dataset bad-lines: 7 lines, 3 usable"), "\(checked.text)")
        #expect(checked.text.contains("line 4: 22 characters need 43 time steps") && checked.text.contains("line 6: the same bytes as line 1"))
        let yaml = try config(folder).replacingOccurrences(of: ".yaml", with: "-stored.yaml")
        try String(contentsOfFile: try config(folder), encoding: .utf8).replacingOccurrences(of: "dataset: \(folder)", with: "dataset: bad-lines")
            .write(toFile: yaml, atomically: true, encoding: .utf8)
        let refused = try commands.crnnctl(["submit", yaml], db: url)
        #expect(refused.status != 0 && refused.text.contains("data.dataset dataset bad-lines: a run on it would fail: 4 of 7 lines are unusable"),
                "\(refused.text)")
        let runs = try commands.crnnctl(["runs"], db: url)
        #expect(runs.text.contains("no runs yet"), "nothing queued")
    }
}
