import Foundation
import Testing
@testable import Store

/// `data: {dataset: FOLDER}` at submit time: lines counted the way workers read them, broken
/// lines named, and the epoch's size is the lines left after the held-out ones.
@Suite struct DatasetFolderTests {
    /// A folder with `images` empty files and `labels` as labels.tsv.
    static func folder(images: [String], labels: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("crnn-folder-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: directory + "/sub", withIntermediateDirectories: true)
        for image in images { _ = FileManager.default.createFile(atPath: directory + "/" + image, contents: Data()) }
        try labels.write(toFile: directory + "/labels.tsv", atomically: true, encoding: .utf8)
        return directory
    }

    func parse(_ folder: String, validation: Int = 1000) throws -> RunConfig {
        try RunConfigParser().parse(yaml: """
            model: tiny
            charset: digits
            data: {dataset: \(folder)}
            validation: {size: \(validation)}
            shard_size: 64
            batch_size: 8
            """, file: "run.yaml", baseDirectory: "/tmp")
    }

    @Test func crlfLinesAreCountedAndTheEpochExcludesTheHeldOutLines() throws {
        let names = (0..<30).map { "sub/\($0).png" }
        let folder = try Self.folder(images: names, labels: names.map { "\($0)\t\($0.count)\r\n" }.joined() + "\r\n")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try parse(folder)
        #expect(config.data == .dataset(path: folder, samples: 30))
        #expect(config.heldOutSamples == 3 && config.samplesPerEpoch == 27 && config.shardsPerEpoch == 1)
        #expect(try parse(folder, validation: 2).samplesPerEpoch == 28)
    }

    @Test func aMissingImageOrAnEscapingPathIsNamedWithItsLine() throws {
        let folder = try Self.folder(images: ["a.png"], labels: "a.png\t1\nb.png\t2\n")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect { try parse(folder) } throws: { "\($0)".contains("labels.tsv:2: image 'b.png' not found") }
        try "a.png\t1\n../a.png\t2\n".write(toFile: folder + "/labels.tsv", atomically: true, encoding: .utf8)
        #expect { try parse(folder) } throws: { "\($0)".contains("labels.tsv:2: path '../a.png' must be relative") }
    }

    @Test func oneLineIsTooFewToTrainAndValidate() throws {
        let folder = try Self.folder(images: ["a.png"], labels: "a.png\t1\n")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect { try parse(folder) } throws: { "\($0)".contains("training needs at least 2") }
    }
}
