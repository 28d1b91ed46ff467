/// Writes and reads the small integer encodings the codecs use: LEB128 varints and
/// zig-zag signed varints, with every read bounds-checked.

/// Appends `value` as an unsigned LEB128 varint (7 bits per byte, low bits first).
@inline(__always)
func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
    var v = value
    while v >= 0x80 {
        bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
        v >>= 7
    }
    bytes.append(UInt8(v))
}

/// Appends a signed value as a zig-zag varint (small magnitudes of either sign stay short).
func appendSignedVarint(_ value: Int64, to bytes: inout [UInt8]) {
    appendVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)), to: &bytes)
}

/// A read position in a byte buffer; every read checks the bounds and throws
/// `CodecError.corrupt` naming the field instead of trapping.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func readByte(_ field: String) throws -> UInt8 {
        guard offset < bytes.count else { throw CodecError.corrupt("truncated at \(field)") }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Reads an unsigned varint of at most 10 bytes that fits in 64 bits.
    @inline(__always)
    mutating func readVarint(_ field: @autoclosure () -> String) throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw CodecError.corrupt("truncated varint at \(field())") }
            let byte = bytes[offset]
            offset += 1
            if shift == 63 && byte > 1 { throw CodecError.corrupt("varint overflow at \(field())") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// Reads a varint that must lie in `0...limit`, as an Int.
    mutating func readCount(_ field: String, limit: Int) throws -> Int {
        let value = try readVarint(field)
        guard value <= UInt64(limit) else {
            throw CodecError.corrupt("\(field) is \(value), at most \(limit) allowed")
        }
        return Int(value)
    }

    /// Reads a zig-zag signed varint that must lie in `range`.
    mutating func readSigned(_ field: String, range: ClosedRange<Int>) throws -> Int {
        let raw = try readVarint(field)
        let value = Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
        guard value >= Int64(range.lowerBound), value <= Int64(range.upperBound) else {
            throw CodecError.corrupt("\(field) is \(value), outside \(range)")
        }
        return Int(value)
    }

    /// The next `count` bytes, advancing past them.
    mutating func readSlice(_ count: Int, _ field: String) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else {
            throw CodecError.corrupt("\(field) needs \(count) bytes, \(remaining) left")
        }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    /// Everything not yet read.
    mutating func readRest() -> UnsafeRawBufferPointer {
        defer { offset = bytes.count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset...])
    }
}
