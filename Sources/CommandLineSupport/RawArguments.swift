import Foundation

/// The command line's arguments as bytes.
///
/// Swift decodes argv as UTF-8 and replaces bytes that are not by U+FFFD, so an argument naming
/// a file whose name is not UTF-8 arrives as a string that names no file. Argument parsing works
/// on those strings; this finds the original bytes again for the values that lost some.
public enum RawArguments {
    /// The bytes of each of `values` (parsed arguments, in command-line order) as given on the
    /// command line: a value without U+FFFD is its own UTF-8; any other is matched to the next
    /// argv entry that decodes to it, or to the part after `=` of an `--option=value` entry.
    public static func recover(_ values: [String], argv: [[UInt8]] = RawArguments.argv) -> [[UInt8]] {
        var next = 1
        return values.map { value in
            guard value.unicodeScalars.contains("\u{FFFD}") else { return Array(value.utf8) }
            for index in max(next, 0)..<argv.count {
                let entry = argv[index]
                if String(decoding: entry, as: UTF8.self) == value {
                    next = index + 1
                    return entry
                }
                if entry.first == UInt8(ascii: "-"), let equals = entry.firstIndex(of: UInt8(ascii: "=")),
                   String(decoding: entry[(equals + 1)...], as: UTF8.self) == value {
                    next = index + 1
                    return Array(entry[(equals + 1)...])
                }
            }
            return Array(value.utf8)
        }
    }

    /// This process's argv, byte for byte.
    public static var argv: [[UInt8]] {
        (0..<Int(CommandLine.argc)).map { index in
            guard let pointer = CommandLine.unsafeArgv[index] else { return [] }
            return Array(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self),
                                             count: strlen(pointer)))
        }
    }
}
