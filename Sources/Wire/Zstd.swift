import CZstd

/// Thin, bounds-checked wrapper over libzstd's one-shot API.
enum Zstd {
    /// The level every codec uses (zstd-3, the library's default trade-off).
    static let defaultLevel: Int32 = 3

    /// Compresses `source` into one zstd frame that records its content size.
    static func compress(_ source: UnsafeRawBufferPointer, level: Int32 = defaultLevel) -> [UInt8] {
        let bound = ZSTD_compressBound(source.count)
        var output = [UInt8](repeating: 0, count: bound)
        let written = output.withUnsafeMutableBytes { out in
            ZSTD_compress(out.baseAddress, bound, source.baseAddress, source.count, level)
        }
        // Compression into a compressBound-sized buffer only fails on allocation failure.
        precondition(ZSTD_isError(written) == 0, "zstd compression failed: \(errorName(written))")
        output.removeSubrange(written...)
        return output
    }

    /// Appends the compressed `source` to `output`.
    static func compress(_ source: [UInt8], appendingTo output: inout [UInt8], level: Int32 = defaultLevel) {
        output += source.withUnsafeBytes { compress($0, level: level) }
    }

    /// Decompresses exactly one zstd frame whose declared content size must be `expectedSize`
    /// (or at most `maximumSize` when the exact size is not known).
    ///
    /// The size is checked against the frame header before anything is allocated, so a small
    /// hostile frame cannot claim gigabytes.
    /// - Throws: `CodecError.corrupt` naming what is wrong.
    static func decompress(
        _ source: UnsafeRawBufferPointer, expectedSize: Int? = nil, maximumSize: Int
    ) throws -> [UInt8] {
        let size = try checkedFrameSize(source, maximumSize: maximumSize)
        if let expectedSize, size != expectedSize {
            throw CodecError.corrupt("zstd frame declares \(size) bytes, expected \(expectedSize)")
        }
        var output = [UInt8](repeating: 0, count: size)
        let produced = output.withUnsafeMutableBytes { out in
            ZSTD_decompress(out.baseAddress, size, source.baseAddress, source.count)
        }
        guard ZSTD_isError(produced) == 0 else {
            throw CodecError.corrupt("zstd: \(errorName(produced))")
        }
        guard produced == size else {
            throw CodecError.corrupt("zstd frame produced \(produced) bytes, declared \(size)")
        }
        return output
    }

    /// Decompresses exactly one zstd frame straight into `output`, whose size the frame must
    /// declare exactly (no intermediate allocation: used for whole fp32 arenas).
    /// - Throws: `CodecError.corrupt` naming what is wrong.
    static func decompress(_ source: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
        let size = try checkedFrameSize(source, maximumSize: output.count)
        guard size == output.count else {
            throw CodecError.corrupt("zstd frame declares \(size) bytes, expected \(output.count)")
        }
        let produced = ZSTD_decompress(output.baseAddress, output.count, source.baseAddress, source.count)
        guard ZSTD_isError(produced) == 0 else { throw CodecError.corrupt("zstd: \(errorName(produced))") }
        guard produced == size else {
            throw CodecError.corrupt("zstd frame produced \(produced) bytes, declared \(size)")
        }
    }

    /// The content size a single, complete frame declares, checked against `maximumSize`.
    private static func checkedFrameSize(_ source: UnsafeRawBufferPointer, maximumSize: Int) throws -> Int {
        guard source.count > 0 else { throw CodecError.corrupt("zstd frame is empty") }
        let declared = ZSTD_getFrameContentSize(source.baseAddress, source.count)
        if declared == ZSTD_CONTENTSIZE_ERROR { throw CodecError.corrupt("not a zstd frame") }
        if declared == ZSTD_CONTENTSIZE_UNKNOWN { throw CodecError.corrupt("zstd frame without content size") }
        guard declared <= UInt64(maximumSize) else {
            throw CodecError.corrupt("zstd frame declares \(declared) bytes, at most \(maximumSize) allowed")
        }
        let frameLength = ZSTD_findFrameCompressedSize(source.baseAddress, source.count)
        guard ZSTD_isError(frameLength) == 0 else {
            throw CodecError.corrupt("zstd frame truncated: \(errorName(frameLength))")
        }
        guard frameLength == source.count else {
            throw CodecError.corrupt("\(source.count - frameLength) trailing bytes after the zstd frame")
        }
        return Int(declared)
    }

    private static func errorName(_ code: Int) -> String {
        String(cString: ZSTD_getErrorName(code))
    }
}
