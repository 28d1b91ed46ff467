/// `fp16+zstd` and `bf16+zstd`: every value as 16 bits, byte planes split, one zstd-3 frame.
///
///     common header (format 2 = fp16, 3 = bf16)
///     t × zig-zag varint   per-tensor scale exponent e (fp16: value·2^e fills fp16's top
///                          octave, so tiny gradients keep 10 mantissa bits; bf16: always 0)
///     zstd frame of        n high bytes, then n low bytes
///
/// Why the scale: 75 % of real gradient values lie below fp16's normal range (6.1e-5); a plain
/// cast flushes them. Why the planes: the high byte (sign, exponent, top mantissa bits) is
/// highly redundant and compresses; the low byte is noise. Interleaved, zstd sees neither.
public struct HalfZstdCodec: GradientCodec {
    public let format: HalfFormat
    public var name: String { "\(format.label)+zstd" }

    public init(format: HalfFormat) { self.format = format }

    private var codecFormat: CodecFormat { format == .fp16 ? .denseFP16 : .denseBF16 }

    public func encode(gradient: UnsafeBufferPointer<Float>, layout: [Int]) throws -> [UInt8] {
        var bytes = [UInt8]()
        appendCodecHeader(format: codecFormat, count: gradient.count, layout: layout, to: &bytes)
        var halves = [UInt16](repeating: 0, count: gradient.count)
        var offset = 0
        try halves.withUnsafeMutableBufferPointer { out in
            for (tensor, size) in layout.enumerated() {
                let values = slice(gradient, offset, size)
                let (maxBits, bad) = maxMagnitudeBits(values)
                if let bad { throw CodecError.nonFinite(tensor: tensor, index: bad) }
                let scale = format == .fp16 ? fp16ScaleExponent(maxMagnitude: Float(bitPattern: maxBits)) : 0
                appendSignedVarint(Int64(scale), to: &bytes)
                encodeHalves(values, format: format, scaleExponent: scale, into: slice(out, offset, size))
                offset += size
            }
        }
        let planes = halves.withUnsafeBufferPointer(splitBytePlanes)
        bytes += planes.withUnsafeBytes { Zstd.compress($0) }
        return bytes
    }

    public func decode(_ bytes: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) throws {
        var cursor = ByteCursor(bytes)
        let layout = try readCodecHeader(&cursor, format: codecFormat, expectedCount: output.count)
        let scaleRange = format == .fp16 ? -200...200 : 0...0
        let scales = try (0..<layout.count).map { try cursor.readSigned("scale of tensor \($0)", range: scaleRange) }
        let planes = try Zstd.decompress(
            cursor.readRest(), expectedSize: 2 * output.count, maximumSize: 2 * output.count)
        let halves = planes.withUnsafeBufferPointer(joinBytePlanes)
        try halves.withUnsafeBufferPointer { halves in
            var offset = 0
            for (tensor, size) in layout.enumerated() {
                try decodeHalves(slice(halves, offset, size), format: format, scaleExponent: scales[tensor],
                                 into: slice(output, offset, size))
                offset += size
            }
        }
    }
}

/// Splits 16-bit values into a plane of high bytes followed by a plane of low bytes.
func splitBytePlanes(_ values: UnsafeBufferPointer<UInt16>) -> [UInt8] {
    let n = values.count
    return [UInt8](unsafeUninitializedCapacity: 2 * n) { planes, initialized in
        for i in 0..<n {
            planes[i] = UInt8(truncatingIfNeeded: values[i] >> 8)
            planes[n + i] = UInt8(truncatingIfNeeded: values[i])
        }
        initialized = 2 * n
    }
}

/// Joins the planes written by `splitBytePlanes`.
/// - Precondition: `planes.count` is even.
func joinBytePlanes(_ planes: UnsafeBufferPointer<UInt8>) -> [UInt16] {
    let n = planes.count / 2
    return [UInt16](unsafeUninitializedCapacity: n) { values, initialized in
        for i in 0..<n { values[i] = UInt16(planes[i]) << 8 | UInt16(planes[n + i]) }
        initialized = n
    }
}
