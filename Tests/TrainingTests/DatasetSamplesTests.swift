import Foundation
import Store
import Testing
import TextImages
@testable import Training

/// Reading a dataset run's lines: held-out and per-epoch counts agree with the shard plan, images
/// come out fitted and scaled, bad lines are skipped with a reason, a missing folder is named.
@Suite struct DatasetSamplesTests {
    /// A folder of `lines` 10×10 images whose pixel value encodes the line (labels are digits),
    /// with line 2 labelled with letters and line 3 a file that is not a PNG.
    static func folder(lines: Int) throws -> String {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("crnn-dataset-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var labels = ""
        for i in 0..<lines {
            let name = "img\(i).png"
            if i == 3 {
                try Data("not a png".utf8).write(to: URL(fileURLWithPath: "\(directory)/\(name)"))
            } else {
                try PNGCodec.write(GreyImage(width: 10, height: 10, value: UInt8(i % 256)), to: "\(directory)/\(name)")
            }
            labels += "\(name)\t\(i == 2 ? "ab" : String(i % 10))\n"
        }
        try labels.write(toFile: directory + "/labels.tsv", atomically: true, encoding: .utf8)
        return directory
    }

    static func recipe(folder: String, validationSize: Int = 5) throws -> RunRecipe {
        let config = try RunConfigParser().parse(yaml: """
            model: tiny
            charset: digits
            image: {height: 32, width: 64}
            data: {dataset: \(folder)}
            shard_size: 8
            batch_size: 4
            validation: {size: \(validationSize)}
            seed: 4
            """, file: "run.yaml", baseDirectory: folder)
        return try RunRecipe(run: 9, config: config, characters: (0...9).map(String.init))
    }

    @Test func heldOutIsValidationSizeCappedAtATenth() throws {
        let folder = try Self.folder(lines: 40)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let small = try Self.recipe(folder: folder, validationSize: 100).config
        #expect(small.heldOutSamples == 4 && small.samplesPerEpoch == 36 && small.shardsPerEpoch == 5)
        let large = try Self.recipe(folder: folder, validationSize: 3).config
        #expect(large.heldOutSamples == 3 && large.samplesPerEpoch == 37)
        #expect(ShardPlan(config: large).shards.map(\.sampleCount).reduce(0, +) == 37)
    }

    @Test func linesLoadFittedAndBadOnesAreSkipped() throws {
        let folder = try Self.folder(lines: 40)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let recipe = try Self.recipe(folder: folder)
        let data = try DatasetSamples(recipe: recipe, machine: "this worker")
        #expect(data.split.training.count == recipe.config.samplesPerEpoch)
        let perImage = 32 * 64
        var images = [Float](repeating: 9, count: 5 * perImage)
        let (labels, skipped) = images.withUnsafeMutableBufferPointer { data.load([1, 2, 3, 12, 4], into: $0.baseAddress!) }
        #expect(labels == [[2], [3], [5]], "digits map to classes 1...10")
        #expect(skipped.map(\.line) == [3, 4], "line 2 (letters) and line 3 (not a PNG), 1-based in labels.tsv")
        #expect(skipped[0].reason.contains("outside the run's charset"))
        // The first image (flat value 1) fills slot 0, fitted (padding repeats the edge) and scaled to [-1, 1].
        #expect(images[0..<perImage].allSatisfy { abs($0 - (1 / 127.5 - 1)) < 1e-6 })
        // Slot 2 holds line 4 (value 4), packed after the skipped ones.
        #expect(abs(images[2 * perImage] - (4 / 127.5 - 1)) < 1e-6)
    }

    @Test func validationUsesTheHeldOutLines() throws {
        let folder = try Self.folder(lines: 60)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let recipe = try Self.recipe(folder: folder, validationSize: 6)
        let data = try DatasetSamples(recipe: recipe, machine: "the coordinator")
        let loaded = try data.loadValidation(run: 9)
        let usable = data.split.validation.filter { $0 != 2 && $0 != 3 }
        #expect(loaded.labels.count == usable.count)
        #expect(loaded.labels == usable.map { [$0 % 10 + 1] })
        #expect(loaded.images.count == usable.count * 32 * 64)
    }

    @Test func aMissingFolderIsNamedWithTheMachine() throws {
        let folder = try Self.folder(lines: 20)
        let recipe = try Self.recipe(folder: folder)
        try FileManager.default.removeItem(atPath: folder)
        let error = #expect(throws: DatasetAccessError.self) { try DatasetSamples(recipe: recipe, machine: "this worker") }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("run 9: dataset folder \(folder) not readable on this worker"), "\(text)")
    }

    @Test func aFolderThatChangedSinceSubmitIsRefused() throws {
        let folder = try Self.folder(lines: 20)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let recipe = try Self.recipe(folder: folder)
        try "img0.png\t0\nimg1.png\t1\n".write(toFile: folder + "/labels.tsv", atomically: true, encoding: .utf8)
        let error = #expect(throws: DatasetAccessError.self) { try DatasetSamples(recipe: recipe, machine: "this worker") }
        #expect(error.map { "\($0)" }?.contains("changed since submit") == true)
    }
}
