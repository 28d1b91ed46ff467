/// `topk+fp16+zstd` and `topk+bf16+zstd`: per tensor, only the largest-magnitude fraction k of
/// the values travels, as delta-coded indices and 16-bit values; the rest stays in the worker's
/// `ErrorFeedback` residual and is sent later.
///
///     common header (format 4 = fp16 values, 5 = bf16 values)
///     t × (varint nnz, zig-zag varint scale exponent)
///     zstd frame of:
///       index stream   per tensor, nnz varints: first index, then gaps (index − previous − 1)
///       value planes   K high bytes, then K low bytes (K = Σ nnz), values as in `HalfZstdCodec`
///
/// The streams are kept apart because their statistics differ: gaps are small integers
/// (geometric for scattered picks, runs of zeros for clustered ones), value high bytes
/// cluster in a few exponents, value low bytes are noise.
public struct TopKCodec: GradientCodec {
    /// The default kept fraction, 1 %.
    public static let defaultFraction = 0.01

    /// The kept fraction of each tensor, in (0, 1].
    public let fraction: Double
    /// How the kept values are stored.
    public let values: HalfFormat
    /// Tensors of at most this many values are sent whole. Biases and batch-norm statistics
    /// are tiny but carry much of a pushed arena's energy (the running-variance change can
    /// dominate it, see BENCHMARKS.md): keeping 1 % of them would starve them for a few bytes.
    public let denseUpTo: Int
    public var name: String { "topk+\(values.label)+zstd" }
    public var decodesSparsely: Bool { true }

    /// The `denseUpTo` that `GradientCodecs.named` uses.
    public static let defaultDenseUpTo = 2048

    /// - Throws: `CodecError.invalidParameter` when `fraction` is not in (0, 1].
    public init(fraction: Double, values: HalfFormat = .fp16, denseUpTo: Int = 0) throws {
        guard fraction > 0, fraction <= 1 else {
            throw CodecError.invalidParameter("top-k fraction k must be in (0, 1], got \(fraction)")
        }
        self.fraction = fraction
        self.values = values
        self.denseUpTo = max(0, denseUpTo)
    }

    private var codecFormat: CodecFormat { values == .fp16 ? .topkFP16 : .topkBF16 }

    /// How many values of a tensor of `size` are kept: at least one of a non-empty tensor.
    public func keepCount(size: Int) -> Int {
        if size <= denseUpTo { return size }
        return size == 0 ? 0 : min(size, max(1, Int((fraction * Double(size)).rounded(.up))))
    }

    public func encode(gradient: UnsafeBufferPointer<Float>, layout: [Int]) throws -> [UInt8] {
        var header = [UInt8]()
        appendCodecHeader(format: codecFormat, count: gradient.count, layout: layout, to: &header)
        var selector = TopKSelector()
        var picked = [UInt32]()
        var gaps = [UInt8]()
        var halves = [UInt16]()
        var offset = 0
        for (tensor, size) in layout.enumerated() {
            let tensorValues = slice(gradient, offset, size)
            let (maxBits, bad) = maxMagnitudeBits(tensorValues)
            if let bad { throw CodecError.nonFinite(tensor: tensor, index: bad) }
            picked.removeAll(keepingCapacity: true)
            selector.select(tensorValues, keep: keepCount(size: size), appendingTo: &picked)
            let scale = values == .fp16 ? fp16ScaleExponent(maxMagnitude: Float(bitPattern: maxBits)) : 0
            appendVarint(UInt64(picked.count), to: &header)
            appendSignedVarint(Int64(scale), to: &header)
            appendGaps(picked, to: &gaps)
            appendHalves(picked, of: tensorValues, scale: scale, to: &halves)
            offset += size
        }
        var body = gaps
        body += halves.withUnsafeBufferPointer(splitBytePlanes)
        return header + body.withUnsafeBytes { Zstd.compress($0) }
    }

    public func decode(_ bytes: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) throws {
        let (positions, decoded) = try decodeSparse(bytes, count: output.count)
        output.update(repeating: 0)
        for (position, value) in zip(positions, decoded) { output[Int(position)] = value }
    }

    /// Adds only the sent values: a push of 1 % of a 24 M arena touches 240 k entries, which is
    /// what lets the parameter server coalesce many top-k pushes cheaply.
    public func decode(_ bytes: UnsafeRawBufferPointer, scaledBy scale: Float,
                       addingTo accumulator: UnsafeMutableBufferPointer<Float>) throws {
        let (positions, decoded) = try decodeSparse(bytes, count: accumulator.count)
        for (position, value) in zip(positions, decoded) { accumulator[Int(position)] += scale * value }
    }

    /// The arena positions and values a payload carries, every index checked before any use.
    private func decodeSparse(_ bytes: UnsafeRawBufferPointer, count: Int) throws -> (positions: [UInt32], values: [Float]) {
        var cursor = ByteCursor(bytes)
        let layout = try readCodecHeader(&cursor, format: codecFormat, expectedCount: count)
        let scaleRange = values == .fp16 ? -200...200 : 0...0
        var counts = [Int](), scales = [Int]()
        for (tensor, size) in layout.enumerated() {
            counts.append(try cursor.readCount("kept count of tensor \(tensor)", limit: size))
            scales.append(try cursor.readSigned("scale of tensor \(tensor)", range: scaleRange))
        }
        let kept = counts.reduce(0, +)
        let body = try Zstd.decompress(
            cursor.readRest(), maximumSize: kept * (varintLength(UInt64(count)) + 2))
        guard body.count >= 2 * kept else {
            throw CodecError.corrupt("body holds \(body.count) bytes, \(kept) values need \(2 * kept)")
        }
        let valueStart = body.count - 2 * kept
        let halves = body.withUnsafeBufferPointer { joinBytePlanes(UnsafeBufferPointer(rebasing: $0[valueStart...])) }
        var decoded = [Float](repeating: 0, count: kept)
        try halves.withUnsafeBufferPointer { halves in
            try decoded.withUnsafeMutableBufferPointer { decoded in
                var first = 0
                for (tensor, count) in counts.enumerated() {
                    try decodeHalves(slice(halves, first, count), format: values,
                                     scaleExponent: scales[tensor], into: slice(decoded, first, count))
                    first += count
                }
            }
        }
        let positions = try body.withUnsafeBytes { raw in
            var gaps = ByteCursor(UnsafeRawBufferPointer(rebasing: raw[..<valueStart]))
            let positions = try Self.positions(gaps: &gaps, counts: counts, layout: layout)
            guard gaps.remaining == 0 else {
                throw CodecError.corrupt("\(gaps.remaining) unread bytes after the index stream")
            }
            return positions
        }
        return (positions, decoded)
    }

    /// The arena positions the gap stream names, checking that every index lies in its tensor.
    private static func positions(gaps: inout ByteCursor, counts: [Int], layout: [Int]) throws -> [UInt32] {
        var positions = [UInt32]()
        positions.reserveCapacity(counts.reduce(0, +))
        var offset = 0
        for (tensor, size) in layout.enumerated() {
            var index = -1
            for j in 0..<counts[tensor] {
                let gap = try gaps.readVarint("index \(j) of tensor \(tensor)")
                guard gap < UInt64(size - index - 1) else {
                    throw CodecError.corrupt("index \(j) lies beyond tensor \(tensor) of size \(size)")
                }
                index += 1 + Int(gap)
                positions.append(UInt32(offset + index))
            }
            offset += size
        }
        return positions
    }

    /// Appends the first index, then gaps minus one, as varints.
    private func appendGaps(_ indices: [UInt32], to bytes: inout [UInt8]) {
        var previous: Int64 = -1
        for index in indices {
            appendVarint(UInt64(Int64(index) - previous - 1), to: &bytes)
            previous = Int64(index)
        }
    }

    /// Appends the 16-bit patterns of the picked values.
    private func appendHalves(_ indices: [UInt32], of values: UnsafeBufferPointer<Float>, scale: Int,
                              to halves: inout [UInt16]) {
        let gathered = indices.map { values[Int($0)] }
        let start = halves.count
        halves += repeatElement(0, count: gathered.count)
        gathered.withUnsafeBufferPointer { source in
            halves.withUnsafeMutableBufferPointer { out in
                encodeHalves(source, format: self.values, scaleExponent: scale,
                             into: slice(out, start, gathered.count))
            }
        }
    }
}

/// Bytes an unsigned LEB128 varint of `value` takes.
func varintLength(_ value: UInt64) -> Int {
    max(1, (64 - value.leadingZeroBitCount + 6) / 7)
}
