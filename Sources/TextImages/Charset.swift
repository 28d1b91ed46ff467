import Foundation

/// The alphabet of a model: class 0 is the CTC blank, class `i` (1-based) is `characters[i - 1]`.
///
/// Each character is one Unicode scalar (the unit FreeType's cmap maps to a glyph). A charset is
/// stored in runs and checkpoints as `characters`, so a model always decodes with its own alphabet.
public struct Charset: Sendable, Equatable {
    /// A preset name, or the file it came from.
    public let name: String
    /// One Unicode scalar each, in class order (class = index + 1).
    public let characters: [String]
    private let classOf: [Unicode.Scalar: Int32]

    /// Classes including the blank.
    public var classCount: Int { characters.count + 1 }

    /// Builds a charset from its characters.
    /// - Throws: `CharsetError` for a duplicate or an entry that is not exactly one scalar
    ///   (line numbers are 1-based positions in `characters`).
    public init(name: String, characters: [String], source: String? = nil) throws {
        var classOf: [Unicode.Scalar: Int32] = [:]
        var firstLine: [Unicode.Scalar: Int] = [:]
        for (i, entry) in characters.enumerated() {
            let scalars = Array(entry.unicodeScalars)
            // The space is a class (lines of words are set with it); other whitespace is not.
            guard scalars.count == 1, let scalar = scalars.first, scalar == " " || !scalar.properties.isWhitespace else {
                throw CharsetError.notOneCharacter(source: source ?? name, line: i + 1, text: entry)
            }
            if let first = firstLine[scalar] {
                throw CharsetError.duplicate(source: source ?? name, line: i + 1, character: entry, firstLine: first)
            }
            firstLine[scalar] = i + 1
            classOf[scalar] = Int32(i + 1)
        }
        self.name = name
        self.characters = characters
        self.classOf = classOf
    }

    public static func == (a: Charset, b: Charset) -> Bool { a.characters == b.characters }

    /// The class of `scalar`, or nil when it is not in the charset.
    public func classIndex(of scalar: Unicode.Scalar) -> Int32? { classOf[scalar] }

    /// The character of class `c` (1-based); nil for the blank or out of range.
    public func scalar(ofClass c: Int) -> Unicode.Scalar? {
        guard c >= 1 && c <= characters.count else { return nil }
        return characters[c - 1].unicodeScalars.first
    }

    /// The classes of `text`'s characters, and the characters that are not in the charset
    /// (in order of appearance, with repeats) which `classes` leaves out.
    public func encode(_ text: String) -> (classes: [Int32], unknown: [Character]) {
        var classes: [Int32] = []
        var unknown: [Character] = []
        for scalar in text.unicodeScalars {
            if let c = classOf[scalar] { classes.append(c) } else { unknown.append(Character(scalar)) }
        }
        return (classes, unknown)
    }

    /// The classes of `text`.
    /// - Throws: `CharsetError.notInCharset` listing the characters outside the charset.
    public func encodeExactly(_ text: String) throws -> [Int32] {
        let (classes, unknown) = encode(text)
        guard unknown.isEmpty else { throw CharsetError.notInCharset(charset: name, text: text, unknown: unknown) }
        return classes
    }

    /// The text of `classes`; the blank (0) and out-of-range classes are skipped.
    public func decode<C: Collection>(_ classes: C) -> String where C.Element: BinaryInteger {
        var out = String.UnicodeScalarView()
        for c in classes { if let s = scalar(ofClass: Int(c)) { out.append(s) } }
        return String(out)
    }
}

public enum CharsetError: Error, Equatable, CustomStringConvertible {
    case unknownPreset(String, valid: [String])
    case fileMissing(String)
    case unreadable(String, reason: String)
    case empty(String)
    case notOneCharacter(source: String, line: Int, text: String)
    case duplicate(source: String, line: Int, character: String, firstLine: Int)
    case notInCharset(charset: String, text: String, unknown: [Character])

    public var description: String {
        switch self {
        case .unknownPreset(let name, let valid):
            return "unknown charset '\(name)': not a preset (\(valid.joined(separator: ", "))) nor an existing file"
        case .fileMissing(let path): return "\(path): charset file not found"
        case .unreadable(let path, let reason): return "\(path): cannot read charset: \(reason)"
        case .empty(let path): return "\(path): charset has no characters"
        case .notOneCharacter(let source, let line, let text):
            let shown = text.isEmpty ? "an empty line" : "'\(text)' (\(text.unicodeScalars.count) code points)"
            return "\(source):\(line): expected exactly one character per line (the space may be one; tabs and other whitespace may not), found \(shown)"
        case .duplicate(let source, let line, let character, let firstLine):
            return "\(source):\(line): duplicate character '\(character)' (first on line \(firstLine))"
        case .notInCharset(let charset, let text, let unknown):
            return "'\(text)': characters not in charset \(charset): \(String(unknown))"
        }
    }
}
