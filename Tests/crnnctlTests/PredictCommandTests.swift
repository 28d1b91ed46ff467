import Engine
import Foundation
import Testing
import TestSupport
import TextImages

/// `crnnctl predict` as a user runs it: every kind of image file, bad files among good ones,
/// JSON for scripts, usage and checkpoint errors, and a trained model reading its text right.
@Suite struct PredictCommandTests {
    /// The readable files of the robustness set and how each is written.
    static func writeReadableImages(in folder: String) throws -> [String] {
        let files: [(String, (String) throws -> Void)] = [
            ("grey.png", { try writePNG($0, width: 100, height: 32, channels: 1) }),
            ("rgb.png", { try writePNG($0, width: 80, height: 24, channels: 3) }),
            ("photo.jpg", { try writeJPEG($0, width: 120, height: 40) }),
            ("rgba.png", { try writePNG($0, width: 60, height: 30, channels: 4) }),
            ("deep16.png", { try writePNG16($0, width: 50, height: 20) }),
            ("square.png", { try writePNG($0, width: 64, height: 64, channels: 1) }),
            ("dot.png", { try writePNG($0, width: 1, height: 1, channels: 1) }),
            ("wide.png", { try writePNG($0, width: 3000, height: 20, channels: 1) }),
            ("tall.png", { try writePNG($0, width: 40, height: 600, channels: 3) }),
        ]
        return try files.map { name, write in
            let path = folder + "/" + name
            try write(path)
            return path
        }
    }

    /// Unreadable files and the words their error must contain.
    static func writeBadFiles(in folder: String) throws -> [(path: String, reason: String)] {
        _ = FileManager.default.createFile(atPath: folder + "/empty.png", contents: Data())
        _ = FileManager.default.createFile(atPath: folder + "/notes.txt", contents: Data("not an image\n".utf8))
        return [(folder + "/empty.png", "empty file"), (folder + "/notes.txt", "not a PNG or JPEG"),
                (folder + "/missing.png", "no such file")]
    }

    @Test(arguments: [Engine.TextDirection.horizontal, .vertical])
    func everyReadableImageGetsALineAndEveryBadOneAClearError(direction: Engine.TextDirection) throws {
        let folder = try temporaryFolder("predict")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let checkpoint = try randomCheckpoint(in: folder, direction: direction)
        let good = try Self.writeReadableImages(in: folder)
        let bad = try Self.writeBadFiles(in: folder)
        // Bad files in the middle: the ones after them must still be read.
        let order = Array(good[..<3]) + bad.map(\.path) + Array(good[3...])
        let output = try crnnctl(["predict", "--checkpoint", checkpoint, "--threads", "1", "--batch", "4"] + order)

        #expect(output.status == 1, "some files failed: \(output.stderr)")
        let lines = output.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.map { String($0.split(separator: "\t", omittingEmptySubsequences: false)[0]) } == good,
                "one line per readable image, in argument order")
        for line in lines {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            #expect(fields.count == 3, "path<TAB>text<TAB>confidence: \(line)")
            #expect(fields[1].allSatisfy { $0.isASCII && $0.isNumber }, "text from the digits charset: \(line)")
            let confidence = Double(fields[2])
            #expect(confidence.map { (0...1).contains($0) } == true && fields[2].split(separator: ".").last?.count == 3,
                    "confidence with 3 decimals: \(line)")
        }
        for (path, reason) in bad {
            let message = output.stderr.split(separator: "\n").first { $0.contains(path) }
            #expect(message?.contains(reason) == true, "\(path): expected '\(reason)' in \(output.stderr)")
        }
        #expect(output.stderr.contains("3 of 12 images could not be read"))
        #expect(!output.stderr.contains("Fatal error"))
    }

    @Test func jsonListsReadingsAndErrorsInOrder() throws {
        let folder = try temporaryFolder("predict-json")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let checkpoint = try randomCheckpoint(in: folder)
        let good = try Self.writeReadableImages(in: folder)
        let bad = try Self.writeBadFiles(in: folder)
        let order = [good[0], bad[0].path, good[1], bad[1].path, bad[2].path, good[2]]
        let output = try crnnctl(["predict", "--checkpoint", checkpoint, "--json", "--threads", "1"] + order)
        #expect(output.status == 1)
        let parsed = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String: Any]]
        let entries = try #require(parsed, "stdout is one JSON array: \(output.stdout)")
        #expect(entries.map { $0["path"] as? String } == order)
        for (entry, path) in zip(entries, order) {
            if good.contains(path) {
                #expect(entry["text"] is String && entry["error"] == nil)
                let confidence = try #require(entry["confidence"] as? Double)
                #expect((0...1).contains(confidence))
            } else {
                let error = try #require(entry["error"] as? String)
                #expect(error.hasPrefix(path) && entry["text"] == nil)
            }
        }
    }

    @Test func dirReadsImagesByExtensionSorted() throws {
        let folder = try temporaryFolder("predict-dir")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let checkpoint = try randomCheckpoint(in: folder)
        let images = folder + "/images"
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        try writePNG(images + "/b.PNG", width: 40, height: 32, channels: 1)
        try writeJPEG(images + "/a.jpg", width: 40, height: 32)
        try writeJPEG(images + "/c.JPEG", width: 40, height: 32)
        try writePNG(images + "/d.png.bak", width: 40, height: 32, channels: 1)
        _ = FileManager.default.createFile(atPath: images + "/readme.txt", contents: Data("hi".utf8))
        let output = try crnnctl(["predict", "--checkpoint", checkpoint, "--dir", images, "--threads", "1"])
        #expect(output.status == 0, "\(output.stderr)")
        let paths = output.stdout.split(separator: "\n").map { String($0.split(separator: "\t")[0]) }
        #expect(paths == ["a.jpg", "b.PNG", "c.JPEG"].map { images + "/" + $0 })
    }

    @Test(arguments: [
        ([String](), "give image files or --dir"),
        (["x.png", "--dir", "/tmp"], "not both"),
        (["--dir", "/nonexistent-crnn-folder"], "no such folder"),
        (["x.png", "--beam", "0"], "--beam"),
    ])
    func usageErrorsExit64(arguments: [String], message: String) throws {
        let output = try crnnctl(["predict", "--checkpoint", "whatever.crnn"] + arguments)
        #expect(output.status == 64, "\(output.stderr)")
        #expect(output.stderr.contains(message), "\(output.stderr)")
    }

    @Test func missingOrCorruptCheckpointIsNamed() throws {
        let folder = try temporaryFolder("predict-ckpt")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try writePNG(folder + "/a.png", width: 40, height: 32, channels: 1)
        let missing = try crnnctl(["predict", "--checkpoint", folder + "/none.crnn", folder + "/a.png"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains(folder + "/none.crnn: cannot read or write the checkpoint"), "\(missing.stderr)")

        let checkpoint = try randomCheckpoint(in: folder)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        bytes[bytes.count / 2] ^= 0x5A
        try bytes.write(to: URL(fileURLWithPath: checkpoint))
        let corrupt = try crnnctl(["predict", "--checkpoint", checkpoint, folder + "/a.png"])
        #expect(corrupt.status == 2)
        #expect(corrupt.stderr.contains("\(checkpoint): checkpoint is corrupted"), "\(corrupt.stderr)")
        #expect(corrupt.stdout.isEmpty)
    }

    /// A model trained here reads its own kind of text: the binary's readings are the truths.
    @Test func trainedModelReadsTheText() throws {
        let folder = try temporaryFolder("predict-trained")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let checkpoint = try GlyphLines.writeTrained(in: folder)
        let lines = GlyphLines.lines(count: 24, seed: 1)
        var paths: [String] = []
        for (i, line) in lines.enumerated() {
            paths.append(folder + "/line\(i).png")
            try PNGCodec.write(line.image, to: paths[i])
        }
        for beam in ["1", "4"] {
            let output = try crnnctl(["predict", "--checkpoint", checkpoint, "--threads", "1", "--batch", "7", "--beam", beam] + paths)
            #expect(output.status == 0, "\(output.stderr)")
            let texts = output.stdout.split(separator: "\n").map { String($0.split(separator: "\t", omittingEmptySubsequences: false)[1]) }
            let right = zip(texts, lines).filter { $0 == $1.text }.count
            #expect(right >= 22, "beam \(beam): \(right) of 24 right: \(texts) vs \(lines.map(\.text))")
            print("predict with the trained glyph model, beam \(beam): \(right) of 24 lines right")
        }
    }

    @Test func helpDocumentsTheExitStatus() throws {
        let output = try crnnctl(["predict", "--help"])
        #expect(output.status == 0)
        #expect(output.stdout.contains("some images could not be read") && output.stdout.contains("64  usage error"))
        #expect(output.stdout.contains("--json"))
    }
}
