/// Gradient codecs: how a worker's gradient arena travels to the parameter server.
///
/// Every payload starts with the same self-describing header, so a receiver checks sizes
/// before it allocates anything:
///
///     u8      format id (one per codec, see `CodecFormat`)
///     varint  n, the number of values
///     varint  t, the number of tensors
///     varint  × t  tensor sizes (they sum to n)
///     ...     codec-specific header and one zstd frame
///
/// See docs/protocol.md for each codec's layout.

/// Encodes a flat gradient arena split into tensors, and decodes it back.
public protocol GradientCodec: Sendable {
    /// The codec's name as written in run configs and push messages (`topk+fp16+zstd`).
    var name: String { get }

    /// Encodes `gradient`, whose tensors have the sizes in `layout` (in arena order).
    ///
    /// - Precondition: `layout` sums to `gradient.count` (a programmer error otherwise).
    /// - Throws: `CodecError.nonFinite` when a value is infinite or NaN.
    func encode(gradient: UnsafeBufferPointer<Float>, layout: [Int]) throws -> [UInt8]

    /// Decodes `bytes` into `output`, overwriting every value (entries a sparse codec did not
    /// send become zero).
    ///
    /// - Throws: `CodecError` when the payload is malformed, belongs to another codec, or holds
    ///   a different number of values than `output`; never traps on hostile input.
    func decode(_ bytes: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) throws

    /// Decodes `bytes` and adds `scale` × its values to `accumulator` (the parameter server sums
    /// the pushes that arrive during an optimiser step this way).
    ///
    /// - Throws: as `decode(_:into:)`; nothing has been added then.
    func decode(_ bytes: UnsafeRawBufferPointer, scaledBy scale: Float,
                addingTo accumulator: UnsafeMutableBufferPointer<Float>) throws

    /// Whether a payload touches only a few values (adding it in place beats a dense decode).
    var decodesSparsely: Bool { get }
}

extension GradientCodec {
    public var decodesSparsely: Bool { false }

    /// Dense codecs decode into a scratch arena, then add it.
    public func decode(_ bytes: UnsafeRawBufferPointer, scaledBy scale: Float,
                       addingTo accumulator: UnsafeMutableBufferPointer<Float>) throws {
        var scratch = [Float](repeating: 0, count: accumulator.count)
        try scratch.withUnsafeMutableBufferPointer { try decode(bytes, into: $0) }
        scratch.withUnsafeBufferPointer { values in
            for i in 0..<accumulator.count { accumulator[i] += scale * values[i] }
        }
    }

    /// Encodes an array; see `encode(gradient:layout:)`.
    public func encode(_ gradient: [Float], layout: [Int]) throws -> [UInt8] {
        try gradient.withUnsafeBufferPointer { try encode(gradient: $0, layout: layout) }
    }

    /// Decodes into an array of the right size; see `decode(_:into:)`.
    public func decode(_ bytes: [UInt8], into output: inout [Float]) throws {
        try bytes.withUnsafeBytes { raw in
            try output.withUnsafeMutableBufferPointer { try decode(raw, into: $0) }
        }
    }
}

/// The first byte of every codec payload.
enum CodecFormat: UInt8 {
    case fp32 = 1
    case denseFP16 = 2
    case denseBF16 = 3
    case topkFP16 = 4
    case topkBF16 = 5
}

/// Builds codecs from their names (`Vocabulary.GradientCodecName`).
public enum GradientCodecs {
    /// Every valid codec name.
    public static let names = GradientCodecName.allCases.map(\.rawValue)

    /// The codec `name`; `k` is the kept fraction for the top-k codecs.
    /// - Throws: `CodecError.invalidParameter` for k outside (0, 1].
    public static func make(_ name: GradientCodecName, k: Double = TopKCodec.defaultFraction) throws -> any GradientCodec {
        switch name {
        case .fp32Zstd: return FP32ZstdCodec()
        case .fp16Zstd: return HalfZstdCodec(format: .fp16)
        case .bf16Zstd: return HalfZstdCodec(format: .bf16)
        case .topkFp16Zstd: return try TopKCodec(fraction: k, values: .fp16, denseUpTo: TopKCodec.defaultDenseUpTo)
        case .topkBf16Zstd: return try TopKCodec(fraction: k, values: .bf16, denseUpTo: TopKCodec.defaultDenseUpTo)
        }
    }

    /// The codec called `name` on the wire or a command line.
    /// - Throws: `CodecError.unknownCodec` listing the valid names, or
    ///   `CodecError.invalidParameter` for k outside (0, 1].
    public static func named(_ name: String, k: Double = TopKCodec.defaultFraction) throws -> any GradientCodec {
        guard let known = GradientCodecName(rawValue: name) else { throw CodecError.unknownCodec(name: name, valid: names) }
        return try make(known, k: k)
    }
}

/// Writes the common header: format id, value count, tensor sizes.
func appendCodecHeader(format: CodecFormat, count: Int, layout: [Int], to bytes: inout [UInt8]) {
    precondition(layout.allSatisfy { $0 >= 0 } && layout.reduce(0, +) == count,
                 "tensor layout \(layout.count) sizes must sum to the gradient's \(count) values")
    bytes.append(format.rawValue)
    appendVarint(UInt64(count), to: &bytes)
    appendVarint(UInt64(layout.count), to: &bytes)
    for size in layout { appendVarint(UInt64(size), to: &bytes) }
}

/// Reads and checks the common header.
///
/// - Parameter expectedCount: the receiver's buffer size; a payload for another size is refused
///   before anything is allocated.
/// - Returns: the tensor sizes.
func readCodecHeader(
    _ cursor: inout ByteCursor, format: CodecFormat, expectedCount: Int
) throws -> [Int] {
    let id = try cursor.readByte("format id")
    guard id == format.rawValue else {
        let other = CodecFormat(rawValue: id).map { "\($0)" } ?? "unknown format \(id)"
        throw CodecError.corrupt("payload is \(other), this codec reads \(format)")
    }
    let count = try cursor.readVarint("value count")
    guard count == UInt64(expectedCount) else {
        throw CodecError.sizeMismatch(expected: expectedCount, found: Int(clamping: count))
    }
    // Each size takes at least one byte, so the remaining length bounds the tensor count.
    let tensors = try cursor.readCount("tensor count", limit: min(cursor.remaining, max(expectedCount, 1)))
    var layout = [Int]()
    layout.reserveCapacity(tensors)
    var total = 0
    for index in 0..<tensors {
        let size = try cursor.readCount("size of tensor \(index)", limit: expectedCount - total)
        total += size
        layout.append(size)
    }
    guard total == expectedCount else {
        throw CodecError.corrupt("tensor sizes sum to \(total), the header says \(expectedCount)")
    }
    return layout
}

/// The largest magnitude of `values` as a bit pattern (monotone in the magnitude), and the
/// first non-finite index if any.
func maxMagnitudeBits(_ values: UnsafeBufferPointer<Float>) -> (bits: UInt32, firstNonFinite: Int?) {
    var largest: UInt32 = 0
    for value in values { largest = max(largest, value.bitPattern & 0x7FFF_FFFF) }
    guard largest >= 0x7F80_0000 else { return (largest, nil) }
    return (largest, values.firstIndex { !$0.isFinite })
}

/// Splits a tensor range out of a flat buffer.
@inline(__always)
func slice<T>(_ buffer: UnsafeBufferPointer<T>, _ start: Int, _ count: Int) -> UnsafeBufferPointer<T> {
    UnsafeBufferPointer(rebasing: buffer[start..<(start + count)])
}

@inline(__always)
func slice<T>(_ buffer: UnsafeMutableBufferPointer<T>, _ start: Int, _ count: Int) -> UnsafeMutableBufferPointer<T> {
    UnsafeMutableBufferPointer(rebasing: buffer[start..<(start + count)])
}
