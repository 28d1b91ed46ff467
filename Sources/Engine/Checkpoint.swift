// The checkpoint file format: self-describing, compressed, checksummed.
//
//   offset  size  field
//   0       8     magic "CRNNCKPT"
//   8       4     format version, UInt32 little-endian: 1 (a model) or 2 (a model and its
//                 training state)
//   12      4     header length H, UInt32 little-endian
//   16      H     header, UTF-8 JSON (`CheckpointHeader`): model config and preset name, charset,
//                 direction, image size, step, metrics, tensor table (name, shape, byte offset
//                 into the uncompressed payload), payload sizes; version 2 adds `training`: the
//                 optimiser, its step count, the samples applied and its state table (name,
//                 shape [P], byte offset), every state arena the parameters' size
//   16+H    P     payload: one zstd frame holding every tensor as float32 little-endian, back
//                 to back: the parameters in layout order, then the BN running statistics, then
//                 (version 2) the optimiser's state arenas in its state order
//   16+H+P  8     checksum: FNV-1a 64 of bytes 0 ..< 16+H+P, UInt64 little-endian
//
// A checkpoint without training state is written as version 1, byte for byte what builds that
// only know version 1 write and read: models for users stay readable by those builds, and a
// third of the size with Adam. The coordinator's checkpoints carry the state (version 2), so
// that a restarted coordinator continues a run exactly where its checkpoint left it.
//
// FNV-1a rather than zstd's own frame checksum because it also covers the header, and rather
// than a cryptographic hash because it guards against truncation and bit rot, not attackers.
import CZstd
import Foundation

/// One row of the header's tensor table.
public struct CheckpointTensor: Codable, Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    /// Byte offset in the uncompressed payload.
    public var offset: Int
}

/// The JSON header of a checkpoint file.
public struct CheckpointHeader: Codable, Sendable, Equatable {
    /// Preset the model was built from ("seed", "paper", …) or nil for a custom config.
    public var preset: String?
    public var config: ModelConfig
    /// The characters of classes 1…K−1, in class order (class 0 is the blank).
    public var charset: [String]
    public var direction: TextDirection
    public var imageHeight: Int, imageWidth: Int
    /// Optimiser steps taken when the checkpoint was written.
    public var step: Int
    public var metrics: [String: Double]
    public var tensors: [CheckpointTensor]
    /// Version 2 only, and optional there: the optimiser state that follows the tensors.
    public var training: CheckpointTraining?
    public var payloadBytes: Int, compressedBytes: Int
}

/// A model's state as stored: the header plus the parameter and buffer values.
public struct Checkpoint: Sendable, Equatable {
    public static let magic = Array("CRNNCKPT".utf8)
    /// The newest format version: what a checkpoint with training state is written as.
    public static let formatVersion: UInt32 = 2
    /// What a checkpoint without training state is written as (see the format above).
    public static let modelFormatVersion: UInt32 = 1

    public var preset: String?
    public var config: ModelConfig
    public var charset: [String]
    public var direction: TextDirection
    public var imageHeight: Int, imageWidth: Int
    public var step: Int
    public var metrics: [String: Double]
    /// Values in `config.parameterShapes` order.
    public var parameters: [Float]
    /// Values in `config.bufferShapes` order.
    public var buffers: [Float]
    /// The optimiser state and progress to continue training from; nil for a model alone (a
    /// version 1 file, or one for users: `InitialCheckpoint` and `fetch --model-only` drop it).
    public var training: TrainingState?

    public init(preset: String?, config: ModelConfig, charset: [String], direction: TextDirection,
                imageHeight: Int, imageWidth: Int, step: Int, metrics: [String: Double],
                parameters: [Float], buffers: [Float], training: TrainingState? = nil) {
        self.preset = preset; self.config = config; self.charset = charset
        self.direction = direction; self.imageHeight = imageHeight; self.imageWidth = imageWidth
        self.step = step; self.metrics = metrics; self.parameters = parameters; self.buffers = buffers
        self.training = training
    }

    /// The format version `encoded()` writes these contents as.
    public var encodedVersion: UInt32 { training == nil ? Self.modelFormatVersion : Self.formatVersion }

    /// The tensor table for `config`: parameters then buffers, with byte offsets.
    static func tensorTable(_ config: ModelConfig) -> [CheckpointTensor] {
        var offset = 0
        return (config.parameterShapes + config.bufferShapes).map { name, shape in
            defer { offset += 4 * shape.reduce(1, *) }
            return CheckpointTensor(name: name, shape: shape, offset: offset)
        }
    }

    /// The file's bytes.
    /// - Throws: `CheckpointError.compression` if zstd fails (out of memory).
    public func encoded(level: Int32 = 3) throws -> [UInt8] {
        let parameterCount = ArenaLayout(config.parameterShapes).count
        precondition(parameters.count == parameterCount && buffers.count == ArenaLayout(config.bufferShapes).count,
                     "Checkpoint: value counts do not match the config")
        precondition(training.map { t in t.state.count == t.optimizer.stateNames.count
                                        && t.state.allSatisfy { $0.count == parameterCount } } ?? true,
                     "Checkpoint: optimizer state does not match the parameters")
        var values = parameters + buffers
        for arena in training?.state ?? [] { values += arena }
        let payloadBytes = 4 * values.count
        var compressed = [UInt8](repeating: 0, count: ZSTD_compressBound(payloadBytes))
        let size = compressed.withUnsafeMutableBytes { dst in
            values.withUnsafeBytes { src in
                ZSTD_compress(dst.baseAddress, dst.count, src.baseAddress, src.count, level)
            }
        }
        if ZSTD_isError(size) != 0 {
            throw CheckpointError.compression(String(cString: ZSTD_getErrorName(size)))
        }
        compressed.removeSubrange(size...)
        let header = CheckpointHeader(
            preset: preset, config: config, charset: charset, direction: direction,
            imageHeight: imageHeight, imageWidth: imageWidth, step: step, metrics: metrics,
            tensors: Self.tensorTable(config),
            training: training.map { CheckpointTraining($0, stateAfter: 4 * (parameters.count + buffers.count)) },
            payloadBytes: payloadBytes, compressedBytes: size)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(header)
        var bytes = Self.magic
        bytes.reserveCapacity(24 + json.count + size)
        appendLittleEndian(&bytes, encodedVersion)
        appendLittleEndian(&bytes, UInt32(json.count))
        bytes += json
        bytes += compressed
        appendLittleEndian(&bytes, fnv1a64(bytes))
        return bytes
    }

    /// Writes the checkpoint to `path` (atomically: a reader never sees half a file).
    public func write(to path: String) throws {
        let data = Data(try encoded())
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CheckpointError.io(path: path, reason: error.localizedDescription)
        }
    }

    /// Reads and verifies the checkpoint at `path`.
    /// - Throws: `CheckpointError` naming the file and what is wrong with it.
    public static func load(path: String) throws -> Checkpoint {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CheckpointError.io(path: path, reason: error.localizedDescription)
        }
        return try decode([UInt8](data), source: path)
    }
}

/// Appends `value` in little-endian byte order.
func appendLittleEndian<T: FixedWidthInteger>(_ bytes: inout [UInt8], _ value: T) {
    withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
}

/// FNV-1a, 64 bits.
func fnv1a64<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01B3
    }
    return hash
}
