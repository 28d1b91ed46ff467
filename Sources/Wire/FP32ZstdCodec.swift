/// `fp32+zstd`: the raw little-endian fp32 arena in one zstd-3 frame. Lossless; also the
/// encoding of parameters sent on pull.
///
///     common header (format 1) | zstd frame of n × fp32
public struct FP32ZstdCodec: GradientCodec {
    public let name = "fp32+zstd"
    /// zstd level; 3 by default.
    public var level: Int32

    public init(level: Int32 = 3) { self.level = level }

    public func encode(gradient: UnsafeBufferPointer<Float>, layout: [Int]) throws -> [UInt8] {
        var offset = 0
        for (tensor, size) in layout.enumerated() {
            if let bad = maxMagnitudeBits(slice(gradient, offset, size)).firstNonFinite {
                throw CodecError.nonFinite(tensor: tensor, index: bad)
            }
            offset += size
        }
        var bytes = [UInt8]()
        appendCodecHeader(format: .fp32, count: gradient.count, layout: layout, to: &bytes)
        // Floats are stored in host order; every supported host (x86-64, arm64) is little endian.
        bytes += Zstd.compress(UnsafeRawBufferPointer(gradient), level: level)
        return bytes
    }

    public func decode(_ bytes: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) throws {
        var cursor = ByteCursor(bytes)
        _ = try readCodecHeader(&cursor, format: .fp32, expectedCount: output.count)
        try Zstd.decompress(cursor.readRest(), into: UnsafeMutableRawBufferPointer(output))
        if let bad = maxMagnitudeBits(UnsafeBufferPointer(output)).firstNonFinite {
            throw CodecError.corrupt("value \(bad) is infinite or NaN")
        }
    }
}
