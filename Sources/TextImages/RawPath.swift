// File paths as bytes. Linux names are byte strings: a name written by an old tool or in a legacy
// encoding need not be UTF-8, and a Swift `String` (valid Unicode only) replaces such bytes with
// U+FFFD, after which the file can no longer be opened by that name. Paths that come from the
// command line or a folder listing travel as `RawPath` until the file is opened.
import Foundation

/// A file path as the kernel takes it: bytes, not necessarily UTF-8, never NUL.
public struct RawPath: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// The path of `string` (its UTF-8 bytes).
    public init(_ string: String) {
        bytes = Array(string.utf8)
    }

    /// The path of `bytes`; a NUL ends it, as it would for the kernel.
    public init(bytes: [UInt8]) {
        self.bytes = Array(bytes.prefix { $0 != 0 })
    }

    /// The path as text: exact for UTF-8 names, with U+FFFD for bytes that are not UTF-8.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The path on one line, unambiguously: tab, newline, carriage return and backslash as `\t`,
    /// `\n`, `\r` and `\\`; other control characters and bytes that are not UTF-8 as `\xHH`.
    /// Every other character as itself, so ordinary names read as they are.
    public var escaped: String {
        var out = ""
        var rest = bytes[...]
        while let first = rest.first {
            let length = Self.utf8SequenceLength(rest)
            guard length > 0 else {
                out += Self.hex(first)
                rest = rest.dropFirst()
                continue
            }
            if length == 1 {
                switch first {
                case 0x09: out += "\\t"
                case 0x0A: out += "\\n"
                case 0x0D: out += "\\r"
                case 0x5C: out += "\\\\"
                case 0..<0x20, 0x7F: out += Self.hex(first)
                default: out.unicodeScalars.append(Unicode.Scalar(first))
                }
            } else {
                out += String(decoding: rest.prefix(length), as: UTF8.self)
            }
            rest = rest.dropFirst(length)
        }
        return out
    }

    public var description: String { escaped }

    /// Byte order, which is the order of code points for UTF-8 names.
    public static func < (a: RawPath, b: RawPath) -> Bool {
        a.bytes.lexicographicallyPrecedes(b.bytes)
    }

    /// `self/component` (no second slash when `self` ends with one).
    public func appending(_ component: RawPath) -> RawPath {
        RawPath(bytes: bytes.last == UInt8(ascii: "/") || bytes.isEmpty ? bytes + component.bytes
                                                                       : bytes + [UInt8(ascii: "/")] + component.bytes)
    }

    /// Calls `body` with the path as a NUL-terminated C string.
    public func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        try (bytes + [0]).withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return "\\x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
    }

    /// The length of the well-formed UTF-8 sequence at the start of `bytes`, 0 when it is not one
    /// (overlong forms, surrogates and code points past U+10FFFF included, as the standard says).
    static func utf8SequenceLength(_ bytes: ArraySlice<UInt8>) -> Int {
        guard let lead = bytes.first else { return 0 }
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return 0
        }
        guard bytes.count >= length else { return 0 }
        let start = bytes.startIndex
        // Only the second byte has a narrowed range (Table 3-7 of the Unicode standard).
        guard (low...high).contains(bytes[start + 1]) else { return 0 }
        for i in 2..<length where !(0x80...0xBF).contains(bytes[start + i]) { return 0 }
        return length
    }
}
