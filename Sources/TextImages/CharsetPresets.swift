import Foundation

extension Charset {
    /// Preset names (`Vocabulary.CharsetPreset`), smallest first. `digits` and `ascii` are built
    /// in; the others are read from `data/charsets/NAME.txt` (written by tools/charsets/make_charsets.py).
    public static let presetNames = CharsetPreset.allCases.map(\.rawValue)

    /// The preset `name`.
    /// - Throws: `CharsetError.unknownPreset` listing the valid names; `DataDirectoryError` when a
    ///   big preset is asked for and no data folder is found.
    public static func preset(_ name: String, data: DataDirectory? = nil) throws -> Charset {
        guard let preset = CharsetPreset(rawValue: name) else { throw CharsetError.unknownPreset(name, valid: presetNames) }
        if let characters = preset.builtInCharacters { return try Charset(name: name, characters: characters) }
        let folder = try data ?? DataDirectory.locate()
        let loaded = try load(file: folder.file("charsets/\(name).txt"))
        return try Charset(name: name, characters: loaded.characters)
    }

    /// A preset when `nameOrPath` is a preset name, else the charset file at that path.
    public static func named(_ nameOrPath: String, data: DataDirectory? = nil) throws -> Charset {
        if presetNames.contains(nameOrPath) { return try preset(nameOrPath, data: data) }
        guard FileManager.default.fileExists(atPath: nameOrPath) else {
            if nameOrPath.contains("/") || nameOrPath.hasSuffix(".txt") { throw CharsetError.fileMissing(nameOrPath) }
            throw CharsetError.unknownPreset(nameOrPath, valid: presetNames)
        }
        return try load(file: nameOrPath)
    }

    /// Reads a charset file: UTF-8, one character per line, line i = class i (blank implicit).
    /// A final newline is optional; `\r\n` endings are accepted.
    /// - Throws: `CharsetError` naming the file (and the line for a bad or duplicate entry).
    public static func load(file path: String) throws -> Charset {
        guard FileManager.default.fileExists(atPath: path) else { throw CharsetError.fileMissing(path) }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CharsetError.unreadable(path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CharsetError.unreadable(path, reason: "not valid UTF-8")
        }
        // Split on scalars: as Characters, "\r\n" is one grapheme and would not split on "\n".
        var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map {
            String(String.UnicodeScalarView($0.last == "\r" ? $0.dropLast() : $0))
        }
        if lines.last == "" { lines.removeLast() }
        guard !lines.isEmpty else { throw CharsetError.empty(path) }
        return try Charset(name: path, characters: lines, source: path)
    }
}
