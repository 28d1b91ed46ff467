// Files crafted the way an attacker (or a broken tool) would write them: headers that declare
// more than the file holds. Built byte by byte so that no encoder's own checks get in the way.
import Foundation

public enum HostileFiles {
    /// A valid PNG header (IHDR with a correct CRC) declaring an 8-bit grey `width`×`height`
    /// image, one small IDAT (a stored zlib block of `dataBytes` zeros) and IEND: a few KB that
    /// ask a decoder for `width × height` bytes.
    public static func pngDeclaring(width: UInt32, height: UInt32, dataBytes: Int = 4096) -> [UInt8] {
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header = bigEndian(width) + bigEndian(height)
        header += [8, 0, 0, 0, 0]  // bit depth 8, grey, deflate, adaptive filtering, no interlace
        png += chunk("IHDR", header)
        let data = [UInt8](repeating: 0, count: min(dataBytes, 65535))
        let length = UInt16(data.count)
        var zlib: [UInt8] = [0x78, 0x01, 0x01, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
        zlib += data
        zlib += bigEndian(adler32(data))
        png += chunk("IDAT", zlib)
        png += chunk("IEND", [])
        return png
    }

    /// `jpeg` with its frame header (SOF0–SOF2) rewritten to declare `width`×`height`.
    public static func jpeg(_ jpeg: [UInt8], declaring width: UInt16, height: UInt16) -> [UInt8] {
        var bytes = jpeg
        var i = 2
        while i + 8 < bytes.count {
            guard bytes[i] == 0xFF else { break }
            let marker = bytes[i + 1]
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            if (0xC0...0xC2).contains(marker) {
                // FF Cn, length (2), precision (1), height (2), width (2)
                bytes[i + 5] = UInt8(height >> 8); bytes[i + 6] = UInt8(height & 0xFF)
                bytes[i + 7] = UInt8(width >> 8); bytes[i + 8] = UInt8(width & 0xFF)
                return bytes
            }
            i += 2 + length
        }
        preconditionFailure("no SOF0–SOF2 marker in the JPEG")
    }

    /// A checkpoint file (`CRNNCKPT`, see Engine's Checkpoint.swift) with its JSON header edited
    /// by `edit` and its FNV-1a checksum recomputed, which anyone can do: FNV is not a MAC.
    public static func checkpoint(_ bytes: [UInt8], editingHeader edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
        func uint32(at offset: Int) -> Int { (0..<4).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) } }
        func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        let length = uint32(at: 12)
        guard var header = try JSONSerialization.jsonObject(with: Data(bytes[16..<(16 + length)])) as? [String: Any] else {
            throw CocoaError(.coderReadCorrupt)
        }
        edit(&header)
        let json = [UInt8](try JSONSerialization.data(withJSONObject: header))
        var out = Array(bytes.prefix(12)) + littleEndian(UInt32(json.count)) + json + Array(bytes[(16 + length)..<(bytes.count - 8)])
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in out { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        out += littleEndian(hash)
        return out
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + typed + bigEndian(crc32(typed))
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    /// CRC-32 (ISO 3309, as PNG uses it).
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return b << 16 | a
    }
}
