// The checkpoint file format: self-describing, compressed, checksummed.
//
//   offset  size  field
//   0       8     magic "CRNNCKPT"
//   8       4     format version, UInt32 little-endian: 1 (a model), 2 (a model and its
//                 training state) or 3 (a model stored as float16)
//   12      4     header length H, UInt32 little-endian
//   16      H     header, UTF-8 JSON (`CheckpointHeader`): model config and preset name, charset,
//                 direction, image size, step, metrics, tensor table (name, shape, byte offset
//                 into the uncompressed payload), payload sizes; version 2 adds `training`: the
//                 optimiser, its step count, the samples applied and its state table (name,
//                 shape [P], byte offset), every state arena the parameters' size
//   16+H    P     payload: one zstd frame holding every tensor as float32 little-endian (float16,
//                 IEEE binary16, in version 3), back to back: the parameters in layout order, then
//                 the BN running statistics, then (version 2) the optimiser's state arenas in its
//                 state order; the tensor table's offsets count bytes of that element size
//   16+H+P  8     checksum: FNV-1a 64 of bytes 0 ..< 16+H+P, UInt64 little-endian
//
// A checkpoint without training state is written as version 1, byte for byte what builds that
// only know version 1 write and read: models for users stay readable by those builds, and a
// third of the size with Adam. The coordinator's checkpoints carry the state (version 2), so
// that a restarted coordinator continues a run exactly where its checkpoint left it. Version 3
// halves a model for shipping (models/): float16 keeps 11 significant bits, which moved no
// shipped model's foreign-set accuracy (BENCHMARKS.md, "Models stored as float16"); values are
// float32 again once loaded, and a model whose values float16 cannot hold is refused, not clipped.
//
// FNV-1a rather than zstd's own frame checksum because it also covers the header, and rather
// than a cryptographic hash because it guards against truncation and bit rot, not attackers.
import CZstd
import Foundation

/// How a checkpoint stores its values.
public enum CheckpointStorage: String, Sendable, Equatable, CaseIterable {
    /// IEEE binary32, exact: versions 1 and 2.
    case fp32
    /// IEEE binary16, rounded to nearest even: version 3, models only.
    case fp16

    /// Bytes per stored value.
    public var elementBytes: Int { self == .fp16 ? 2 : 4 }
}

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
    /// What a model stored as float16 is written as.
    public static let halfModelFormatVersion: UInt32 = 3
    /// The newest version this build reads.
    public static let newestFormatVersion: UInt32 = halfModelFormatVersion

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
    /// How `encoded()` stores the values; `.fp16` only for a model alone (no training state).
    /// A loaded checkpoint keeps the storage of its file.
    public var storage: CheckpointStorage = .fp32

    public init(preset: String?, config: ModelConfig, charset: [String], direction: TextDirection,
                imageHeight: Int, imageWidth: Int, step: Int, metrics: [String: Double],
                parameters: [Float], buffers: [Float], training: TrainingState? = nil) {
        self.preset = preset; self.config = config; self.charset = charset
        self.direction = direction; self.imageHeight = imageHeight; self.imageWidth = imageWidth
        self.step = step; self.metrics = metrics; self.parameters = parameters; self.buffers = buffers
        self.training = training
    }

    /// The format version `encoded()` writes these contents as.
    public var encodedVersion: UInt32 {
        if storage == .fp16 { return Self.halfModelFormatVersion }
        return training == nil ? Self.modelFormatVersion : Self.formatVersion
    }

    /// The tensor table for `config`: parameters then buffers, with byte offsets for values of
    /// `elementBytes` bytes.
    static func tensorTable(_ config: ModelConfig, elementBytes: Int = 4) -> [CheckpointTensor] {
        var offset = 0
        return (config.parameterShapes + config.bufferShapes).map { name, shape in
            defer { offset += elementBytes * shape.reduce(1, *) }
            return CheckpointTensor(name: name, shape: shape, offset: offset)
        }
    }

    /// The file's bytes.
    /// - Throws: `CheckpointError.compression` if zstd fails (out of memory),
    ///   `CheckpointError.notRepresentable` if float16 storage cannot hold a value.
    public func encoded(level: Int32 = 3) throws -> [UInt8] {
        let parameterCount = ArenaLayout(config.parameterShapes).count
        precondition(parameters.count == parameterCount && buffers.count == ArenaLayout(config.bufferShapes).count,
                     "Checkpoint: value counts do not match the config")
        precondition(training.map { t in t.state.count == t.optimizer.stateNames.count
                                        && t.state.allSatisfy { $0.count == parameterCount } } ?? true,
                     "Checkpoint: optimizer state does not match the parameters")
        precondition(storage == .fp32 || training == nil, "Checkpoint: float16 storage holds a model alone")
        var values = parameters + buffers
        for arena in training?.state ?? [] { values += arena }
        let payload = storage == .fp16 ? try halfPayload(values) : values.withUnsafeBytes { Array($0) }
        let payloadBytes = payload.count
        var compressed = [UInt8](repeating: 0, count: ZSTD_compressBound(payloadBytes))
        let size = compressed.withUnsafeMutableBytes { dst in
            payload.withUnsafeBytes { src in
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
            tensors: Self.tensorTable(config, elementBytes: storage.elementBytes),
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

    /// `values` as float16 little-endian bytes.
    /// - Throws: `CheckpointError.notRepresentable` naming the first tensor with a value float16
    ///   cannot hold (non-finite, or beyond its largest finite value).
    private func halfPayload(_ values: [Float]) throws -> [UInt8] {
        let halves = values.map { Float16($0) }
        if let i = halves.firstIndex(where: { !$0.isFinite }) {
            let table = Self.tensorTable(config, elementBytes: 1)
            let tensor = table.last { $0.offset <= i }?.name ?? "?"
            throw CheckpointError.notRepresentable(
                "\(tensor) holds \(values[i]), beyond float16's range (±65504): keep this model as fp32")
        }
        return halves.withUnsafeBytes { Array($0) }
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
