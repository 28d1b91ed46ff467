import Foundation

/// `path<TAB>label` lists: ours (labels.tsv, with an optional font column) and PaddleOCR's.
/// Lines are split on bytes so a line that is not UTF-8 is named, not the whole file refused.
enum TextListReader {
    static func read(list: String, root: String, minimumFields: Int, maximumFields: Int,
                     _ body: (LabelledImage) throws -> Void) throws {
        guard let data = FileManager.default.contents(atPath: list) else {
            throw ImportError(list, "cannot be read (no such file, or not readable)")
        }
        let name = URL(fileURLWithPath: list).lastPathComponent
        var number = 0
        for raw in [UInt8](data).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            var bytes = ArraySlice(raw)
            if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
            if bytes.isEmpty { continue }
            let fields = bytes.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false)
            guard (minimumFields...maximumFields).contains(fields.count), !fields[0].isEmpty else {
                throw ImportError(list, line: number, "expected 'relative/path<TAB>label'")
            }
            guard let relative = String(validating: Array(fields[0]), as: UTF8.self) else {
                throw ImportError(list, line: number, "the image path is not UTF-8 text")
            }
            let label = try ImportRules.label(fields[1], list, line: number)
            let path = try ImportRules.imagePath(relative, root: root, list, line: number)
            let image = try ImportRules.readImage(path, list, line: number)
            try body(LabelledImage(bytes: image, label: label, origin: "\(name):\(number)"))
        }
    }
}
