import CZstd
import Foundation
import Testing
@testable import Engine

/// Format version 3: a model stored as float16.
@Suite struct HalfCheckpointTests {
    func sample() -> Checkpoint {
        let model = CRNNModel(config: ModelPreset.tiny.config(classes: 4), direction: .horizontal, seed: 9)
        model.buffers["bn5.running_var"][1] = 300.5
        var checkpoint = model.checkpoint(preset: "tiny", charset: ["a", "b", "c"], imageHeight: 32,
                                          imageWidth: 64, step: 77, metrics: ["accuracy": 0.5])
        checkpoint.storage = .fp16
        return checkpoint
    }

    func decodeError(_ bytes: [UInt8]) -> Error? {
        do { _ = try Checkpoint.decode(bytes, source: "half.crnn"); return nil } catch { return error }
    }

    func zstdCompressed(_ payload: [UInt8]) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(payload.count))
        let size = out.withUnsafeMutableBytes { dst in
            payload.withUnsafeBytes { ZSTD_compress(dst.baseAddress, dst.count, $0.baseAddress, $0.count, 3) }
        }
        try #require(ZSTD_isError(size) == 0)
        return Array(out.prefix(size))
    }

    @Test func valuesComeBackRoundedToFloat16AndTheFileIsHalfTheSize() throws {
        let original = sample()
        let bytes = try original.encoded()
        #expect(readUInt32(bytes, at: 8) == 3)
        let loaded = try Checkpoint.decode(bytes, source: "half.crnn")
        #expect(loaded.storage == .fp16)
        #expect(loaded.parameters == original.parameters.map { Float(Float16($0)) })
        #expect(loaded.buffers == original.buffers.map { Float(Float16($0)) })
        #expect(loaded.parameters != original.parameters, "float16 rounds the random weights")
        let worst = zip(loaded.parameters, original.parameters).map { abs($0 - $1) / max(abs($1), 1e-4) }.max() ?? 1
        #expect(worst < 1e-3)
        #expect(try loaded.encoded() == bytes, "a loaded float16 model writes the same bytes")
        var full = original
        full.storage = .fp32
        let header = { (b: [UInt8]) in try JSONDecoder().decode(CheckpointHeader.self, from: Data(b[16..<(16 + Int(readUInt32(b, at: 12)))])) }
        #expect(try header(bytes).payloadBytes * 2 == header(try full.encoded()).payloadBytes)
    }

    @Test func aModelFloat16CannotHoldIsRefusedNamingTheTensor() throws {
        var checkpoint = sample()
        checkpoint.buffers[checkpoint.buffers.count - 1] = 1e6
        #expect {
            try checkpoint.encoded()
        } throws: { error in
            guard case let .notRepresentable(reason) = error as? CheckpointError else { return false }
            return reason.contains("running_var") && reason.contains("fp32")
        }
    }

    @Test func aVersion3HeaderOverFloat32SizedPayloadIsRefused() throws {
        // Version byte changed from 1 to 3 (checksum recomputed): the payload size no longer fits.
        var full = sample()
        full.storage = .fp32
        var bytes = try full.encoded()
        bytes[8] = 3
        bytes.removeLast(8)
        appendLittleEndian(&bytes, fnv1a64(bytes))
        let error = decodeError(bytes)
        guard case let .invalidHeader(_, reason) = error as? CheckpointError else {
            Issue.record("expected invalidHeader, got \(String(describing: error))"); return
        }
        #expect(reason.contains("tensor table") || reason.contains("payloadBytes"))
    }

    @Test func anInfiniteFloat16ValueIsACorruptPayload() throws {
        // A crafted file: a valid float16 model whose first value is +infinity, checksum correct.
        let checkpoint = sample()
        var halves = (checkpoint.parameters + checkpoint.buffers).map { Float16($0) }
        halves[0] = .infinity
        let payload = halves.withUnsafeBytes { Array($0) }
        let bytes = try checkpoint.encoded()
        let headerLength = Int(readUInt32(bytes, at: 12))
        var json = try JSONDecoder().decode(CheckpointHeader.self, from: Data(bytes[16..<(16 + headerLength)]))
        let compressed = try zstdCompressed(payload)
        json.compressedBytes = compressed.count
        let encodedHeader = try JSONEncoder().encode(json)
        var crafted = Array(bytes.prefix(12))
        appendLittleEndian(&crafted, UInt32(encodedHeader.count))
        crafted += Array(encodedHeader) + compressed
        appendLittleEndian(&crafted, fnv1a64(crafted))
        let error = decodeError(crafted)
        guard case let .corruptPayload(source, reason) = error as? CheckpointError else {
            Issue.record("expected corruptPayload, got \(String(describing: error))"); return
        }
        #expect(source == "half.crnn" && reason.contains("infinity"))
    }

    @Test func aModelWithTrainingStateStaysFloat32() throws {
        var checkpoint = sample()
        checkpoint.storage = .fp32
        checkpoint.training = TrainingState(optimizer: .sgd, stepCount: 3, samplesApplied: 96,
                                            state: [[Float](repeating: 0.5, count: checkpoint.parameters.count)])
        let loaded = try Checkpoint.decode(try checkpoint.encoded(), source: "t.crnn")
        #expect(loaded.storage == .fp32 && loaded.training == checkpoint.training)
    }
}
