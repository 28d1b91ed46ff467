import Foundation
import Testing
@testable import DatasetImport

/// Each importer on a real file of its format (tools/fixtures/make_dataset_fixtures.py: the LMDB
/// written by Python's `lmdb` package as crnn.pytorch does, the CSV by Python's csv module): the
/// images and labels come out identical to the source; each kind of bad input is named, and a
/// failed import leaves nothing behind.
@Suite struct DatasetImportTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    /// The source lines: (image bytes, label) in order.
    static func source() throws -> [(bytes: [UInt8], label: String)] {
        let labels = try String(contentsOfFile: fixtures + "/source/labels.tsv", encoding: .utf8)
        return try labels.split(separator: "\n").map { line in
            let fields = line.split(separator: "\t", maxSplits: 1).map(String.init)
            return ([UInt8](try Data(contentsOf: URL(fileURLWithPath: fixtures + "/source/" + fields[0]))), fields[1])
        }
    }

    func output() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("import-\(UUID().uuidString)").path
    }

    /// The folder's lines: (image bytes, label) in labels.tsv order.
    func imported(_ folder: String) throws -> [(bytes: [UInt8], label: String)] {
        let labels = try String(contentsOfFile: folder + "/labels.tsv", encoding: .utf8)
        return try labels.split(separator: "\n").map { line in
            let fields = line.split(separator: "\t", maxSplits: 1).map(String.init)
            return ([UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + fields[0]))), fields[1])
        }
    }

    @Test(arguments: [("source", DatasetFormat.tsv), ("paddle/train_list.txt", .paddle), ("easyocr", .easyocr), ("lmdb", .lmdb)])
    func importsComeOutIdenticalToTheSource(path: String, format: DatasetFormat) throws {
        let source = Self.fixtures + "/" + path
        #expect(DatasetFormat.detect(source) == format)
        let folder = output()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let summary = try FolderWriter.importDataset(source, format: format, into: folder)
        let expected = try Self.source()
        #expect(summary.lines == 4 && summary.bytes == expected.map(\.bytes.count).reduce(0, +))
        let lines = try imported(folder)
        #expect(lines.map(\.label) == expected.map(\.label), "labels, the comma and quotes of the last included")
        #expect(lines.map(\.bytes) == expected.map(\.bytes), "images byte for byte")
        #expect(try String(contentsOfFile: folder + "/labels.tsv", encoding: .utf8).contains("images/000000004.jpg\t中文"))
    }

    func failure(_ format: DatasetFormat, _ source: String) -> (ImportError?, leftovers: Bool) {
        let folder = output()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let parent = URL(fileURLWithPath: folder).deletingLastPathComponent().path
        let before = Set((try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [])
        do {
            _ = try FolderWriter.importDataset(source, format: format, into: folder)
            return (nil, false)
        } catch {
            let after = Set((try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [])
            let name = URL(fileURLWithPath: folder).lastPathComponent
            return (error as? ImportError, after.subtracting(before).contains { $0.contains(name) })
        }
    }

    func scratch(_ files: [String: [UInt8]]) throws -> String {
        let folder = output() + "-src"
        for (name, bytes) in files {
            let path = folder + "/" + name
            try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                                    withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        return folder
    }

    @Test func badInputIsNamedWithFileAndLineAndNothingIsHalfImported() throws {
        let png = try Self.source()[0].bytes
        let corrupt = failure(.lmdb, Self.fixtures + "/bad-lmdb")
        // Cut short: liblmdb would map pages past the end (a bus error), so it is refused first.
        #expect(corrupt.0?.file.hasSuffix("bad-lmdb/data.mdb") == true && corrupt.0?.reason.contains("is damaged") == true,
                "\(String(describing: corrupt.0))")
        #expect(!corrupt.leftovers)
        let garbage = try scratch(["data.mdb": [UInt8](repeating: 0x5A, count: 8192)])
        #expect(failure(.lmdb, garbage).0?.reason.contains("not an LMDB database") == true)
        // A well-formed database without the layout's keys.
        let lmdbBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/lmdb/data.mdb")))
        var renamed = lmdbBytes
        if let at = (0..<(renamed.count - 11)).first(where: { Array(renamed[$0..<($0 + 11)]) == Array("num-samples".utf8) }) {
            renamed[at] = UInt8(ascii: "N")
        }
        let noCount = failure(.lmdb, try scratch(["data.mdb": renamed]))
        #expect(noCount.0?.reason.contains("num-samples") == true, "\(String(describing: noCount.0))")

        let columns = try scratch(["labels.csv": Array("name,text\na.png,1\n".utf8), "a.png": png])
        let wrongColumns = failure(.easyocr, columns)
        #expect(wrongColumns.0 == ImportError(columns + "/labels.csv", line: 1, "expected the header 'filename,words', found 'name,text'"))
        let short = try scratch(["labels.csv": Array("filename,words\na.png,1\nb.png\n".utf8), "a.png": png])
        #expect(failure(.easyocr, short).0?.line == 3)

        let traversal = try scratch(["list.txt": Array("a.png\t1\n../../etc/passwd\troot\n".utf8), "a.png": png])
        let escaped = failure(.paddle, traversal + "/list.txt")
        #expect(escaped.0?.line == 2 && escaped.0?.reason.contains("leaves the folder") == true, "\(String(describing: escaped.0))")
        #expect(!escaped.leftovers, "the first line was imported, then the whole import rolled back")

        let latin1 = try scratch(["labels.tsv": Array("a.png\t1\nb.png\tcaf".utf8) + [0xE9] + Array("\n".utf8), "a.png": png, "b.png": png])
        let notUTF8 = failure(.tsv, latin1)
        #expect(notUTF8.0 == ImportError(latin1 + "/labels.tsv", line: 2, "the label is not UTF-8 text"))

        let notAnImage = try scratch(["labels.tsv": Array("a.png\t1\n".utf8), "a.png": Array("GIF89a".utf8)])
        #expect(failure(.tsv, notAnImage).0?.reason == "the image is neither PNG nor JPEG")
        let missing = try scratch(["labels.tsv": Array("gone.png\t1\n".utf8)])
        #expect(failure(.tsv, missing).0?.reason.contains("cannot be read") == true)
    }

    @Test func anExistingOutputFolderIsNeverTouched() throws {
        let folder = output()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(throws: ImportError(folder, "already exists (import into a new folder)")) {
            try FolderWriter.importDataset(Self.fixtures + "/source", format: .tsv, into: folder)
        }
    }

    @Test func csvQuotingFollowsRFC4180() throws {
        let fields = try EasyOCRReader.split(ArraySlice(Array(#"a.png,"x, ""y"" z",3"#.utf8)), "f", line: 1)
        #expect(fields.map { String(decoding: $0, as: UTF8.self) } == ["a.png", #"x, "y" z"#, "3"])
        #expect(throws: ImportError.self) { try EasyOCRReader.split(ArraySlice(Array(#"a.png,"open"#.utf8)), "f", line: 1) }
    }
}
