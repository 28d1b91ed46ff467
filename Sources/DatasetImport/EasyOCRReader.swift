import Foundation

/// EasyOCR's training folders: `labels.csv` (`filename,words`, RFC 4180 quoting: a field in
/// double quotes may hold commas, line breaks are refused, `""` is a quote) beside the images.
enum EasyOCRReader {
    static func read(folder: String, _ body: (LabelledImage) throws -> Void) throws {
        let file = folder + "/labels.csv"
        guard let data = FileManager.default.contents(atPath: file) else { throw ImportError(file, "cannot be read") }
        var number = 0
        var columns: (filename: Int, words: Int)?
        for raw in [UInt8](data).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            var bytes = ArraySlice(raw)
            if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
            if bytes.isEmpty { continue }
            if number == 1, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }   // a BOM
            let fields = try split(bytes, file, line: number)
            guard let (filename, words) = columns else {
                let names = try fields.map { try ImportRules.label($0, file, line: number).lowercased() }
                guard let f = names.firstIndex(of: "filename"), let w = names.firstIndex(of: "words") else {
                    throw ImportError(file, line: number, "expected the header 'filename,words', found '\(names.joined(separator: ","))'")
                }
                columns = (f, w)
                continue
            }
            guard fields.count > max(filename, words) else {
                throw ImportError(file, line: number, "\(fields.count) column\(fields.count == 1 ? "" : "s"), the header has \(max(filename, words) + 1) or more")
            }
            guard let relative = String(validating: fields[filename], as: UTF8.self) else {
                throw ImportError(file, line: number, "the file name is not UTF-8 text")
            }
            let label = try ImportRules.label(fields[words], file, line: number)
            let path = try ImportRules.imagePath(relative, root: folder, file, line: number)
            let image = try ImportRules.readImage(path, file, line: number)
            try body(LabelledImage(bytes: image, label: label, origin: "labels.csv:\(number)"))
        }
        if columns == nil { throw ImportError(file, "is empty (expected the header 'filename,words' and one line per image)") }
    }

    /// One CSV record's fields (bytes), quotes removed.
    static func split(_ line: ArraySlice<UInt8>, _ file: String, line number: Int) throws -> [[UInt8]] {
        var fields: [[UInt8]] = [], field: [UInt8] = []
        var quoted = false, index = line.startIndex
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ",")
        while index < line.endIndex {
            let byte = line[index]
            if quoted {
                if byte == quote {
                    if line.index(after: index) < line.endIndex && line[line.index(after: index)] == quote {
                        field.append(quote)
                        index = line.index(after: index)
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(byte)
                }
            } else if byte == quote && field.isEmpty {
                quoted = true
            } else if byte == comma {
                fields.append(field)
                field = []
            } else {
                field.append(byte)
            }
            index = line.index(after: index)
        }
        if quoted { throw ImportError(file, line: number, "a quoted field is not closed (a line break inside quotes is not supported)") }
        fields.append(field)
        return fields
    }
}
