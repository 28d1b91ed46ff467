// Datasets from disk: a folder with `labels.tsv` (`relative/path<TAB>text` per line, optionally
// `<TAB>font` naming the face the line was set in, for per-font scores).
import Foundation

/// A folder of labelled line images, read lazily: `count` samples, `load(i)` decodes one and
/// fits it to the model's input size.
public struct LabelledDataset: Sendable {
    public struct Entry: Sendable, Equatable {
        public let path: String
        public let text: String
        /// The text's classes; characters outside the charset are left out (and counted).
        public let classes: [Int32]
        public let line: Int
        /// Characters of `text` outside the charset (training skips such a line: its target
        /// would miss characters the image shows).
        public let unknownCount: Int
        /// The optional third column: the font the line was set in.
        public let font: String?
    }

    public let directory: String
    public let entries: [Entry]
    /// Characters of the labels that are not in the charset, with how often they occur.
    public let unknownCharacters: [Character: Int]
    /// How many entries lost at least one character to the charset.
    public let entriesWithUnknown: Int

    public var count: Int { entries.count }

    /// Reads `directory/labels.tsv`.
    /// - Throws: `DatasetError` naming the file and line of a malformed entry or a missing image.
    public init(directory: String, charset: Charset) throws {
        try self.init(labelsFile: directory + "/labels.tsv", charset: charset)
    }

    /// Reads a labels file of any name; its image paths are relative to the file's folder.
    /// - Throws: as `init(directory:charset:)`.
    public init(labelsFile file: String, charset: Charset) throws {
        let folder = (file as NSString).deletingLastPathComponent
        let directory = folder.isEmpty ? "." : folder
        guard FileManager.default.fileExists(atPath: file) else { throw DatasetError.missingLabels(file) }
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw DatasetError.badLine(file: file, line: 0, reason: "not readable as UTF-8")
        }
        var entries: [Entry] = []
        var unknown: [Character: Int] = [:]
        var lossy = 0
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        for (i, scalars) in lines.enumerated() {
            var raw = String(String.UnicodeScalarView(scalars))
            if raw.hasSuffix("\r") { raw.removeLast() }
            if raw.isEmpty { continue }
            let fields = raw.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 2 || fields.count == 3, !fields[0].isEmpty else {
                throw DatasetError.badLine(file: file, line: i + 1, reason: "expected 'relative/path<TAB>text' or 'relative/path<TAB>text<TAB>font'")
            }
            let font = fields.count == 3 && !fields[2].isEmpty ? String(fields[2]) : nil
            let relative = String(fields[0]), label = String(fields[1])
            guard !relative.hasPrefix("/"), !relative.split(separator: "/").contains("..") else {
                throw DatasetError.badLine(file: file, line: i + 1, reason: "path '\(relative)' must be relative and stay inside the folder")
            }
            let path = directory + "/" + relative
            guard FileManager.default.fileExists(atPath: path) else {
                throw DatasetError.badLine(file: file, line: i + 1, reason: "image '\(relative)' not found")
            }
            entries.append(Self.entry(path: path, label: label, line: i + 1, font: font, charset: charset,
                                      unknown: &unknown, lossy: &lossy))
        }
        guard !entries.isEmpty else { throw DatasetError.empty(file) }
        self.directory = directory
        self.entries = entries
        self.unknownCharacters = unknown
        self.entriesWithUnknown = lossy
    }

    /// The labels of a dataset stored elsewhere (PostgreSQL): line i + 1 is `labels[i]`; `name`
    /// stands for the directory in messages, and images are read by the caller, not `load`.
    public init(name: String, labels: [String], charset: Charset) {
        var unknown: [Character: Int] = [:]
        var lossy = 0
        entries = labels.enumerated().map { i, label in
            Self.entry(path: "", label: label, line: i + 1, font: nil, charset: charset, unknown: &unknown, lossy: &lossy)
        }
        directory = name
        unknownCharacters = unknown
        entriesWithUnknown = lossy
    }

    private static func entry(path: String, label: String, line: Int, font: String?, charset: Charset,
                              unknown: inout [Character: Int], lossy: inout Int) -> Entry {
        let (classes, missing) = charset.encode(label)
        if !missing.isEmpty { lossy += 1 }
        for c in missing { unknown[c, default: 0] += 1 }
        return Entry(path: path, text: label, classes: classes, line: line, unknownCount: missing.count, font: font)
    }

    /// A one-line report of the characters outside the charset ("" when there are none).
    public var unknownReport: String {
        guard !unknownCharacters.isEmpty else { return "" }
        let top = unknownCharacters.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.prefix(20)
        return "\(entriesWithUnknown) labels contain \(unknownCharacters.count) distinct characters outside the charset (left out of the targets): "
            + top.map { "'\($0.key)'×\($0.value)" }.joined(separator: " ")
    }

    /// Sample `i` fitted to `width`×`height` (see `GreyImage.fitted`).
    /// - Throws: `ImageError` naming the image file.
    public func load(_ i: Int, width: Int, height: Int, direction: TextDirection) throws -> (image: GreyImage, label: [Int32]) {
        let entry = entries[i]
        let image = try ImageFile.read(entry.path)
        return (image.fitted(width: width, height: height, vertical: direction == .vertical), entry.classes)
    }
}

public enum DatasetError: Error, Equatable, CustomStringConvertible {
    case missingLabels(String)
    case empty(String)
    case badLine(file: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .missingLabels(let file): return "\(file): not found (a dataset folder needs labels.tsv: relative/path<TAB>text per line)"
        case .empty(let file): return "\(file): no entries"
        case .badLine(let file, let line, let reason): return "\(file):\(line): \(reason)"
        }
    }
}
