// Reading a checkpoint back, checking every field before trusting it: a damaged file must give
// a clear error naming the file and the problem, never a crash or a silently wrong model.
import CZstd
import Foundation

/// What is wrong with a checkpoint file. `source` is the path (or a label for in-memory bytes).
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    case io(path: String, reason: String)
    case truncated(source: String, reason: String)
    case badMagic(source: String)
    case unsupportedVersion(source: String, found: UInt32, supported: UInt32)
    case checksumMismatch(source: String)
    case invalidHeader(source: String, reason: String)
    case corruptPayload(source: String, reason: String)
    case compression(String)
    case notRepresentable(String)

    public var description: String {
        switch self {
        case let .io(path, reason): return "\(path): cannot read or write the checkpoint: \(reason)"
        case let .truncated(source, reason): return "\(source): checkpoint is truncated: \(reason)"
        case let .badMagic(source): return "\(source): not a CRNN checkpoint (missing the CRNNCKPT magic bytes)"
        case let .unsupportedVersion(source, found, supported):
            return "\(source): checkpoint format version \(found) is not supported (this build reads versions 1 to \(supported))"
        case let .checksumMismatch(source):
            return "\(source): checkpoint is corrupted (checksum mismatch)"
        case let .invalidHeader(source, reason): return "\(source): invalid checkpoint header: \(reason)"
        case let .corruptPayload(source, reason): return "\(source): corrupted checkpoint payload: \(reason)"
        case let .compression(reason): return "checkpoint compression failed: \(reason)"
        case let .notRepresentable(reason): return "cannot store the checkpoint as float16: \(reason)"
        }
    }
}

extension Checkpoint {
    /// Parses and verifies checkpoint bytes; `source` names them in errors.
    public static func decode(_ bytes: [UInt8], source: String) throws -> Checkpoint {
        let fixed = magic.count + 8
        guard bytes.count >= fixed + 8 else {
            if bytes.count >= magic.count && Array(bytes.prefix(magic.count)) != magic {
                throw CheckpointError.badMagic(source: source)
            }
            throw CheckpointError.truncated(source: source, reason: "\(bytes.count) bytes, shorter than the fixed preamble")
        }
        guard Array(bytes.prefix(magic.count)) == magic else { throw CheckpointError.badMagic(source: source) }
        let version = readUInt32(bytes, at: magic.count)
        guard (modelFormatVersion...newestFormatVersion).contains(version) else {
            throw CheckpointError.unsupportedVersion(source: source, found: version, supported: newestFormatVersion)
        }
        let storage: CheckpointStorage = version == halfModelFormatVersion ? .fp16 : .fp32
        let headerLength = Int(readUInt32(bytes, at: magic.count + 4))
        guard headerLength <= bytes.count - fixed - 8 else {
            throw CheckpointError.truncated(source: source, reason: "header of \(headerLength) bytes runs past the end of the file")
        }
        let header: CheckpointHeader
        do {
            header = try JSONDecoder().decode(CheckpointHeader.self, from: Data(bytes[fixed..<(fixed + headerLength)]))
        } catch {
            // A damaged header is most often a damaged file: prefer the checksum's verdict.
            try verifyChecksum(bytes, end: bytes.count - 8, source: source)
            throw CheckpointError.invalidHeader(source: source, reason: "\(error)")
        }
        let payloadStart = fixed + headerLength
        let end = payloadStart + header.compressedBytes
        guard header.compressedBytes >= 0, end + 8 <= bytes.count else {
            throw CheckpointError.truncated(
                source: source,
                reason: "\(bytes.count) bytes, expected \(payloadStart + max(0, header.compressedBytes) + 8)")
        }
        guard end + 8 == bytes.count else {
            throw CheckpointError.corruptPayload(source: source, reason: "\(bytes.count - end - 8) unexpected bytes after the checksum")
        }
        try verifyChecksum(bytes, end: end, source: source)
        try validate(header, version: version, source: source)
        let values = try decompress(bytes[payloadStart..<end], bytes: header.payloadBytes, storage: storage, source: source)
        let split = ArenaLayout(header.config.parameterShapes).count
        let state = split + ArenaLayout(header.config.bufferShapes).count
        var checkpoint = Checkpoint(
            preset: header.preset, config: header.config, charset: header.charset,
            direction: header.direction, imageHeight: header.imageHeight, imageWidth: header.imageWidth,
            step: header.step, metrics: header.metrics,
            parameters: Array(values[..<split]), buffers: Array(values[split..<state]),
            training: header.training?.restored(from: values[state...]))
        checkpoint.storage = storage
        return checkpoint
    }

    static func verifyChecksum(_ bytes: [UInt8], end: Int, source: String) throws {
        guard end >= 0, end + 8 <= bytes.count else { return }
        var stored: UInt64 = 0
        for i in 0..<8 { stored |= UInt64(bytes[end + i]) << (8 * UInt64(i)) }
        guard fnv1a64(bytes[0..<end]) == stored else { throw CheckpointError.checksumMismatch(source: source) }
    }

    /// The header must stay within `CheckpointLimits` and describe exactly the tensors (and, in
    /// version 2, the optimiser state) its own config implies; checked before anything is
    /// allocated for it.
    static func validate(_ h: CheckpointHeader, version: UInt32, source: String) throws {
        if let violation = CheckpointLimits.violation(h) {
            throw CheckpointError.invalidHeader(source: source, reason: violation)
        }
        let c = h.config
        let elementBytes = version == halfModelFormatVersion ? 2 : 4
        let expected = tensorTable(c, elementBytes: elementBytes)
        if h.tensors != expected {
            let names = Set(expected.map(\.name))
            let odd = h.tensors.first { !names.contains($0.name) }?.name
            throw CheckpointError.invalidHeader(
                source: source,
                reason: odd.map { "unknown tensor \($0) for this config" }
                    ?? "tensor table does not match the config (\(h.tensors.count) tensors, expected \(expected.count))")
        }
        let parameters = ArenaLayout(c.parameterShapes).count
        var floats = parameters + ArenaLayout(c.bufferShapes).count
        if let training = h.training {
            guard version == formatVersion else {
                throw CheckpointError.invalidHeader(source: source, reason: "training: a version \(version) checkpoint holds no training state")
            }
            if let violation = training.violation(parameters: parameters, tensorBytes: 4 * floats) {
                throw CheckpointError.invalidHeader(source: source, reason: violation)
            }
            floats += training.state.count * parameters
        }
        guard h.payloadBytes == elementBytes * floats else {
            throw CheckpointError.invalidHeader(source: source, reason: "payloadBytes \(h.payloadBytes), expected \(elementBytes * floats)")
        }
        if h.charset.count != c.classes - 1 && !h.charset.isEmpty {
            throw CheckpointError.invalidHeader(
                source: source, reason: "charset has \(h.charset.count) characters for \(c.classes) classes (expected \(c.classes - 1))")
        }
    }

    static func decompress(_ compressed: ArraySlice<UInt8>, bytes: Int, storage: CheckpointStorage,
                           source: String) throws -> [Float] {
        guard storage == .fp32 else {
            var halves = [Float16](repeating: 0, count: bytes / 2)
            try decompress(compressed, into: &halves, bytes: bytes, source: source)
            guard let i = halves.firstIndex(where: { !$0.isFinite }) else { return halves.map { Float($0) } }
            throw CheckpointError.corruptPayload(source: source, reason: "value \(i) is \(halves[i]) (float16 infinity or NaN)")
        }
        var values = [Float](repeating: 0, count: bytes / 4)
        try decompress(compressed, into: &values, bytes: bytes, source: source)
        return values
    }

    /// Decompresses exactly `bytes` bytes into `values`.
    private static func decompress<T>(_ compressed: ArraySlice<UInt8>, into values: inout [T], bytes: Int,
                                      source: String) throws {
        let size = values.withUnsafeMutableBytes { dst in
            compressed.withUnsafeBytes { src in
                ZSTD_decompress(dst.baseAddress, dst.count, src.baseAddress, src.count)
            }
        }
        if ZSTD_isError(size) != 0 {
            throw CheckpointError.corruptPayload(source: source, reason: String(cString: ZSTD_getErrorName(size)))
        }
        guard size == bytes else {
            throw CheckpointError.corruptPayload(source: source, reason: "decompressed to \(size) bytes, expected \(bytes)")
        }
    }
}

func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
}

extension CRNNModel {
    /// The model's parameters and running statistics as a checkpoint, with `training` (the
    /// optimiser's state) when training is to continue from it.
    public func checkpoint(preset: String?, charset: [String], imageHeight: Int, imageWidth: Int,
                           step: Int, metrics: [String: Double] = [:], training: TrainingState? = nil) -> Checkpoint {
        Checkpoint(preset: preset, config: config, charset: charset, direction: direction,
                   imageHeight: imageHeight, imageWidth: imageWidth, step: step, metrics: metrics,
                   parameters: parameters.values, buffers: buffers.values, training: training)
    }

    /// A model holding a checkpoint's parameters and running statistics.
    public convenience init(checkpoint: Checkpoint, threads: Int = 1) {
        self.init(config: checkpoint.config, direction: checkpoint.direction, threads: threads)
        parameters.load(checkpoint.parameters)
        buffers.load(checkpoint.buffers)
    }
}
