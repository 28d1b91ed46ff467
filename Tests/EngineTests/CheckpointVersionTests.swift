// Format versions: version 2 adds the training state after the model's tensors; version 1 files
// (every checkpoint written before) still read, and a model alone is still written as version 1
// unless it asks for float16 (version 3, the shipped models). The training block is as untrusted as the rest of the header: a crafted
// one is refused before anything is allocated for it, naming the field.
import Foundation
import Testing
@testable import Engine

@Suite struct CheckpointVersionTests {
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("models")

    /// A tiny model two Adam steps in, with its training state.
    static func withTraining() throws -> Checkpoint {
        let model = CRNNModel(config: ModelPreset.tiny.config(classes: 4), direction: .horizontal, seed: 5)
        let adam = Adam(layout: model.parameters.layout)
        let images = randomFloats(2 * 32 * 64, seed: 3)
        for _ in 0..<2 {
            try model.trainStep(images: images, targets: [[1, 2], [3]])
            adam.step(parameters: model.parameters, gradients: model.gradients, learningRate: 0.01)
        }
        return model.checkpoint(preset: "tiny", charset: ["a", "b", "c"], imageHeight: 32, imageWidth: 64, step: 2,
                                metrics: ["val_loss": 1.5], training: adam.trainingState(samplesApplied: 4))
    }

    func decodeError(_ bytes: [UInt8]) -> Error? { CheckpointTests().decodeError(bytes) }

    /// The shipped models are float16 (version 3); stored as fp32 again they are version 1 files,
    /// the format every earlier build reads and writes, with exactly the same values.
    @Test(arguments: ["digits", "ascii"])
    func shippedFloat16ModelsReadAndConvertToVersion1(name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: Self.models.appendingPathComponent("\(name).crnn")))
        #expect(bytes[8] == 3, "models/\(name).crnn is a version 3 (float16) file")
        var checkpoint = try Checkpoint.decode(bytes, source: "\(name).crnn")
        #expect(checkpoint.training == nil && checkpoint.storage == .fp16 && checkpoint.encodedVersion == 3)
        #expect(try checkpoint.encoded() == bytes, "rewritten byte for byte")
        checkpoint.storage = .fp32
        let version1 = try checkpoint.encoded()
        #expect(version1[8] == 1)
        let reread = try Checkpoint.decode(version1, source: "\(name)-fp32.crnn")
        #expect(reread.parameters == checkpoint.parameters && reread.buffers == checkpoint.buffers && reread.storage == .fp32)
    }

    @Test func trainingStateRoundTripsAsVersion2() throws {
        let original = try Self.withTraining()
        let bytes = try original.encoded()
        #expect(bytes[8] == 2)
        let decoded = try Checkpoint.decode(bytes, source: "x.crnn")
        #expect(decoded == original)
        #expect(decoded.training?.state.flatMap { $0 }.map(\.bitPattern) == original.training?.state.flatMap { $0 }.map(\.bitPattern))
        #expect(try decoded.encoded() == bytes, "encoding is deterministic")

        var modelOnly = decoded
        modelOnly.training = nil
        let stripped = try modelOnly.encoded()
        #expect(stripped[8] == 1 && stripped.count < bytes.count)
        #expect(try Checkpoint.decode(stripped, source: "m.crnn") == modelOnly)
        // A version 2 file may also hold no training state.
        var relabelled = stripped
        relabelled[8] = 2
        #expect(try Checkpoint.decode(try CheckpointTests().resealed(relabelled) { _ in }, source: "v2.crnn") == modelOnly)
    }

    /// Training blocks no optimiser wrote, with a valid checksum: each is refused naming the field
    /// before the payload is decompressed (a shape of 2^40 values allocates nothing).
    @Test func craftedTrainingStateIsRefusedNamingTheField() throws {
        let bytes = try Self.withTraining().encoded()
        let parameters = ModelPreset.tiny.config(classes: 4).parameterShapes.map { $0.shape.reduce(1, *) }.reduce(0, +)
        func training(_ edit: @escaping (inout [String: Any]) -> Void) -> (inout [String: Any]) -> Void {
            { header in
                var block = header["training"] as! [String: Any]
                edit(&block)
                header["training"] = block
            }
        }
        func arena(_ index: Int, _ key: String, _ value: Any) -> (inout [String: Any]) -> Void {
            training { block in
                var state = block["state"] as! [[String: Any]]
                state[index][key] = value
                block["state"] = state
            }
        }
        let cases: [(String, (inout [String: Any]) -> Void)] = [
            ("training.state[1] (exp_avg_sq) has shape [\(parameters - 1)], expected [\(parameters)]", arena(1, "shape", [parameters - 1])),
            ("training.state[0] (exp_avg) has shape [1099511627776]", arena(0, "shape", [1 << 40])),
            ("training.state[0] (exp_avg) has shape [\(parameters), 1]", arena(0, "shape", [parameters, 1])),
            ("training.state[1] is named \"exp_avg\", expected exp_avg_sq", arena(1, "name", "exp_avg")),
            ("training.state[1] (exp_avg_sq) starts at byte 0", arena(1, "offset", 0)),
            ("training.state has 1 arenas; adam keeps 2 (exp_avg, exp_avg_sq)",
             training { $0["state"] = Array(($0["state"] as! [[String: Any]]).prefix(1)) }),
            ("training.state has 2 arenas; sgd keeps 1", training { $0["optimizer"] = "sgd" }),
            ("training.optimizer is \"rmsprop\", expected one of sgd, adam, adadelta", training { $0["optimizer"] = "rmsprop" }),
            ("training.stepCount is -1", training { $0["stepCount"] = -1 }),
            ("training.samplesApplied is -8", training { $0["samplesApplied"] = -8 }),
            ("payloadBytes", { $0["payloadBytes"] = ($0["payloadBytes"] as! Int) + 4 }),
        ]
        for (expected, edit) in cases {
            let error = decodeError(try CheckpointTests().resealed(bytes, edit))
            #expect(error.map(CheckpointTests().kind) == "invalidHeader", "\(expected): \(String(describing: error))")
            #expect(error.map { "\($0)".contains(expected) && "\($0)".contains("x.crnn") } == true,
                    "expected '\(expected)' in \(String(describing: error))")
        }
        // Version 1 has no training block: a file claiming both is refused.
        var version1 = bytes
        version1[8] = 1
        let error = decodeError(try CheckpointTests().resealed(version1) { _ in })
        #expect(error.map { "\($0)".contains("a version 1 checkpoint holds no training state") } == true, "\(String(describing: error))")
        #expect(decodeError(try CheckpointTests().resealed(bytes) { _ in }) == nil, "resealing alone changes nothing")
    }
}
