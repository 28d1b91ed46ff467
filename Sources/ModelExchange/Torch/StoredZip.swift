// The zip container of `torch.save` files: stored (uncompressed) records, each record's data
// aligned to 64 bytes by padding the local header's extra field, as PyTorch writes them (its
// reader memory-maps records in place). Reading accepts any stored zip; compressed records,
// multi-disk and zip64 archives are refused by name (PyTorch does not write them below 4 GiB).
//
// Layout (little-endian): local header 30 B + name + extra, data … central directory entries
// 46 B + name each, end record 22 B.

/// Why an archive could not be read.
public struct ZipError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Writes a stored zip archive record by record.
struct StoredZipWriter {
    private(set) var bytes: [UInt8] = []
    private var central: [UInt8] = []
    private var count = 0
    static let alignment = 64

    /// Appends one record; its data starts at a multiple of `alignment` in the archive.
    mutating func add(_ name: String, _ data: [UInt8]) {
        let nameBytes = Array(name.utf8), crc = crc32(data), offset = bytes.count
        // Extra field: id 0x1234 ('FB' in PyTorch's writer) + size + zeros up to the alignment.
        let unpadded = offset + 30 + nameBytes.count + 4
        let padding = (Self.alignment - unpadded % Self.alignment) % Self.alignment
        var local: [UInt8] = []
        put32(&local, 0x0403_4b50)
        put16(&local, 20); put16(&local, 0); put16(&local, 0)  // version needed, flags, stored
        put16(&local, 0); put16(&local, 0x21)                   // time, date (1980-01-01)
        put32(&local, crc); put32(&local, UInt32(data.count)); put32(&local, UInt32(data.count))
        put16(&local, UInt16(nameBytes.count)); put16(&local, UInt16(4 + padding))
        local += nameBytes
        put16(&local, 0x1234); put16(&local, UInt16(padding))
        local += [UInt8](repeating: 0, count: padding)
        bytes += local
        bytes += data

        put32(&central, 0x0201_4b50)
        put16(&central, 20); put16(&central, 20); put16(&central, 0); put16(&central, 0)
        put16(&central, 0); put16(&central, 0x21)
        put32(&central, crc); put32(&central, UInt32(data.count)); put32(&central, UInt32(data.count))
        put16(&central, UInt16(nameBytes.count)); put16(&central, 0); put16(&central, 0)
        put16(&central, 0); put16(&central, 0); put32(&central, 0)
        put32(&central, UInt32(offset))
        central += nameBytes
        count += 1
    }

    /// The archive with its central directory and end record.
    func finished() -> [UInt8] {
        var out = bytes
        let start = out.count
        out += central
        put32(&out, 0x0605_4b50)
        put16(&out, 0); put16(&out, 0)
        put16(&out, UInt16(count)); put16(&out, UInt16(count))
        put32(&out, UInt32(central.count)); put32(&out, UInt32(start))
        put16(&out, 0)
        return out
    }
}

/// The records of a stored zip archive, by name.
struct StoredZipReader {
    /// Record name → its bytes' range in the archive.
    let records: [String: Range<Int>]
    /// Record names in archive order.
    let names: [String]

    /// - Throws: `ZipError` naming what is wrong (truncated, compressed, not a zip).
    init(_ bytes: [UInt8]) throws {
        guard bytes.count >= 22 else { throw ZipError("not a zip archive (\(bytes.count) bytes)") }
        // The end record sits within the last 22 + 65,535 bytes (its comment may be that long).
        var end = -1
        var i = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65_535)
        while i >= lowest {
            if get32(bytes, i) == 0x0605_4b50 { end = i; break }
            i -= 1
        }
        guard end >= 0 else { throw ZipError("not a zip archive, or truncated (no end-of-directory record)") }
        let entries = Int(get16(bytes, end + 10)), size = Int(get32(bytes, end + 12)), start = Int(get32(bytes, end + 16))
        if entries == 0xFFFF || start == 0xFFFF_FFFF { throw ZipError("zip64 archives are not supported") }
        guard start + size <= end else { throw ZipError("truncated: the central directory lies past the end of the file") }
        var records: [String: Range<Int>] = [:], names: [String] = []
        var p = start
        for index in 0..<entries {
            guard p + 46 <= end, get32(bytes, p) == 0x0201_4b50 else {
                throw ZipError("central directory entry \(index) is damaged")
            }
            let method = get16(bytes, p + 10), compressed = Int(get32(bytes, p + 20)), stored = Int(get32(bytes, p + 24))
            let nameLength = Int(get16(bytes, p + 28)), extra = Int(get16(bytes, p + 30)), comment = Int(get16(bytes, p + 32))
            let localOffset = Int(get32(bytes, p + 42))
            guard p + 46 + nameLength <= end else { throw ZipError("central directory entry \(index) is damaged") }
            let name = String(decoding: bytes[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            guard method == 0, compressed == stored else {
                throw ZipError("record \(name) is compressed (method \(method)); PyTorch stores records uncompressed")
            }
            guard localOffset + 30 <= bytes.count, get32(bytes, localOffset) == 0x0403_4b50 else {
                throw ZipError("record \(name): its local header is missing (truncated or damaged file)")
            }
            let dataStart = localOffset + 30 + Int(get16(bytes, localOffset + 26)) + Int(get16(bytes, localOffset + 28))
            guard dataStart + stored <= bytes.count else {
                throw ZipError("truncated: record \(name) needs \(stored) bytes at offset \(dataStart), the file has \(bytes.count)")
            }
            records[name] = dataStart..<(dataStart + stored)
            names.append(name)
            p += 46 + nameLength + extra + comment
        }
        self.records = records
        self.names = names
    }
}

private func put16(_ out: inout [UInt8], _ v: UInt16) { out += [UInt8(v & 0xFF), UInt8(v >> 8)] }
private func put32(_ out: inout [UInt8], _ v: UInt32) {
    out += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
}
private func get16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
private func get32(_ b: [UInt8], _ i: Int) -> UInt32 {
    UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
}

/// CRC-32 (IEEE 802.3, reflected), as zip records carry it.
func crc32(_ data: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in data { crc = crc32Table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    return crc ^ 0xFFFF_FFFF
}

private let crc32Table: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}
