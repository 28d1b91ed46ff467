import Engine
import Foundation
import Store
import Testing
import TestSupport

/// `crnnctl checkpoints fetch` of a run's checkpoint as the coordinator stores it (format version
/// 2, with the optimizer state): byte for byte by default, the model alone with `--model-only`;
/// predict reads both the same.
@Suite struct CheckpointFetchTests {
    func withDatabase(_ arguments: [String], db url: String) throws -> CommandRunner.Output {
        try BuiltProducts.run("crnnctl", arguments + ["--db", url], environment: ["DATABASE_URL": ""])
    }

    /// A tiny digits model two Adam steps in, with its training state.
    static func trainedCheckpoint() throws -> Checkpoint {
        let digits = (0...9).map(String.init)
        let model = CRNNModel(config: ModelPreset.tiny.config(classes: digits.count + 1), seed: 3)
        let adam = Adam(layout: model.parameters.layout)
        var rng = SplitMix64(seed: 1)
        let images = (0..<(2 * 32 * 128)).map { _ in Float(rng.next() % 200) / 100 - 1 }
        for _ in 0..<2 {
            try model.trainStep(images: images, targets: [[1, 2, 3], [4]])
            adam.step(parameters: model.parameters, gradients: model.gradients, learningRate: 0.01)
        }
        return model.checkpoint(preset: "tiny", charset: digits, imageHeight: 32, imageWidth: 128, step: 2,
                                training: adam.trainingState(samplesApplied: 4))
    }

    @Test func fetchKeepsTheTrainingStateOrWritesTheModelOnly() throws {
        let url = try TestDatabase.freshDatabaseURL()
        let demo = RunCommandsTests.examples.appendingPathComponent("demo.yaml").path
        #expect(try withDatabase(["submit", demo], db: url).status == 0)
        let checkpoint = try Self.trainedCheckpoint()
        let stored = try checkpoint.encoded()
        _ = try CheckpointStore(connection: try PostgresConnection(url: url)).store(
            run: 1, step: 2, kind: .latest, bytes: stored, metrics: [:])
        let folder = try temporaryFolder("fetch")
        defer { try? FileManager.default.removeItem(atPath: folder) }

        let full = folder + "/full.crnn", model = folder + "/model.crnn"
        #expect(try withDatabase(["checkpoints", "fetch", "1", "--latest", "-o", full], db: url).status == 0)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: full))) == stored, "byte for byte, state included")
        let fetched = try withDatabase(["checkpoints", "fetch", "1", "--latest", "--model-only", "-o", model], db: url)
        #expect(fetched.status == 0 && fetched.text.contains("the model only"), "\(fetched.text)")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: model)))
        var expected = checkpoint
        expected.training = nil
        #expect(try bytes[8] == 1 && bytes == expected.encoded(), "a version 1 file of the same model")
        #expect(bytes.count < stored.count)

        let image = folder + "/line.png"
        try writePNG(image, width: 128, height: 32, channels: 1)
        let readings = try [full, model].map { file in
            try crnnctl(["predict", "--checkpoint", file, "--threads", "1", image])
        }
        #expect(readings.allSatisfy { $0.status == 0 }, "\(readings.map(\.stderr))")
        #expect(readings[0].stdout == readings[1].stdout, "the optimizer state changes nothing predict reads")

        // fp16: from the database, and converted from a file; both the same version 3 file.
        let half = folder + "/half.crnn", converted = folder + "/converted.crnn"
        let refused = try withDatabase(["checkpoints", "fetch", "1", "--latest", "--storage", "fp16", "-o", half], db: url)
        #expect(refused.status != 0 && refused.text.contains("--model-only"), "\(refused.text)")
        #expect(try withDatabase(["checkpoints", "fetch", "1", "--latest", "--model-only", "--storage", "fp16", "-o", half],
                                 db: url).status == 0)
        let convert = try crnnctl(["checkpoints", "convert", full, "-o", converted, "--storage", "fp16"])
        #expect(convert.status == 0 && convert.stdout.contains("fp16"), "\(convert.stderr)")
        let halfBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: half)))
        expected.storage = .fp16
        #expect(try halfBytes[8] == 3 && halfBytes == expected.encoded())
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: converted))) == halfBytes)
        #expect(halfBytes.count < bytes.count * 3 / 5, "about half the fp32 model: \(halfBytes.count) vs \(bytes.count)")
        let corrupt = folder + "/corrupt.crnn"
        try Data(halfBytes.prefix(100)).write(to: URL(fileURLWithPath: corrupt))
        let bad = try crnnctl(["checkpoints", "convert", corrupt, "-o", folder + "/never.crnn"])
        #expect(bad.status != 0 && bad.stderr.contains("corrupt.crnn") && bad.stderr.contains("truncated"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/never.crnn"))
    }
}
