// The labelled-line formats people already have, read into one shape: an image's original bytes
// (PNG or JPEG, never re-encoded) and its label, with where it came from for error messages.
import Foundation

/// One labelled line image as a format stores it.
public struct LabelledImage: Sendable, Equatable {
    public let bytes: [UInt8]
    public let label: String
    /// Where it came from: `labels.csv:12`, `lmdb image-000000003`.
    public let origin: String
}

/// What is wrong with a dataset being imported, naming the file (and line or key).
public struct ImportError: Error, CustomStringConvertible, Equatable {
    public let file: String
    /// 1-based line, when the problem is on one.
    public let line: Int?
    public let reason: String

    public init(_ file: String, line: Int? = nil, _ reason: String) {
        self.file = file; self.line = line; self.reason = reason
    }

    public var description: String { line.map { "\(file):\($0): \(reason)" } ?? "\(file): \(reason)" }
}

/// The formats `crnnctl datasets import` reads.
public enum DatasetFormat: String, CaseIterable, Sendable {
    /// Ours (and `crnnctl gen` output): FOLDER/labels.tsv with `relative/path<TAB>label[<TAB>font]`.
    case tsv
    /// PaddleOCR recognition lists: a file of `relative/path<TAB>label`, paths under a data root.
    case paddle
    /// EasyOCR training data: FOLDER/labels.csv with the columns `filename,words`.
    case easyocr
    /// crnn.pytorch / deep-text-recognition-benchmark: an LMDB environment with `num-samples`,
    /// `image-%09d` and `label-%09d` (1-based).
    case lmdb

    /// The format a path looks like: a folder with labels.tsv, labels.csv or data.mdb, or a list file.
    public static func detect(_ path: String) -> DatasetFormat? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        guard isDirectory.boolValue else { return .paddle }
        for (file, format) in [("labels.tsv", DatasetFormat.tsv), ("labels.csv", .easyocr), ("data.mdb", .lmdb)]
        where FileManager.default.fileExists(atPath: path + "/" + file) {
            return format
        }
        return nil
    }

    /// Reads every labelled image of `path` (for `paddle`, `root` is the folder paths are under:
    /// the list file's folder by default), calling `body` for each in order.
    /// - Throws: `ImportError` naming the file and line or key of the first problem.
    public func read(_ path: String, root: String? = nil, _ body: (LabelledImage) throws -> Void) throws {
        switch self {
        case .tsv: try TextListReader.read(list: path + "/labels.tsv", root: path, minimumFields: 2, maximumFields: 3, body)
        case .paddle:
            try TextListReader.read(list: path, root: root ?? URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                    minimumFields: 2, maximumFields: 2, body)
        case .easyocr: try EasyOCRReader.read(folder: path, body)
        case .lmdb: try LMDBReader.read(environment: path, body)
        }
    }
}

/// The checks every format's images and labels pass.
enum ImportRules {
    /// PNG or JPEG, by their first bytes.
    static func checkImage(_ bytes: [UInt8], _ file: String, line: Int?) throws {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard bytes.starts(with: png) || bytes.starts(with: [0xFF, 0xD8, 0xFF]) else {
            throw ImportError(file, line: line, bytes.isEmpty ? "the image is empty" : "the image is neither PNG nor JPEG")
        }
    }

    /// UTF-8 text without tabs or line breaks (labels.tsv could not hold them).
    static func label(_ bytes: some Collection<UInt8>, _ file: String, line: Int?) throws -> String {
        guard let text = String(validating: Array(bytes), as: UTF8.self) else {
            throw ImportError(file, line: line, "the label is not UTF-8 text")
        }
        if text.unicodeScalars.contains(where: { $0 == "\t" || $0 == "\n" || $0 == "\r" }) {
            throw ImportError(file, line: line, "the label holds a tab or a line break")
        }
        return text
    }

    /// `relative` resolved under `root`, refused when it leaves it (`../../etc/passwd`, absolute
    /// paths, symbolic links pointing out).
    static func imagePath(_ relative: String, root: String, _ file: String, line: Int) throws -> String {
        guard !relative.isEmpty, !relative.hasPrefix("/") else {
            throw ImportError(file, line: line, "image path '\(relative)' must be relative to \(root)")
        }
        let base = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath().path
        let full = URL(fileURLWithPath: base).appendingPathComponent(relative).standardizedFileURL.resolvingSymlinksInPath().path
        guard full.hasPrefix(base + "/") else {
            throw ImportError(file, line: line, "image path '\(relative)' leaves the folder \(root)")
        }
        return full
    }

    static func readImage(_ path: String, _ file: String, line: Int) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImportError(file, line: line, "image \(path) cannot be read")
        }
        let bytes = [UInt8](data)
        try checkImage(bytes, file, line: line)
        return bytes
    }
}
