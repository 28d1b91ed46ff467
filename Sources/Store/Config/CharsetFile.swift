import Foundation

/// Resolves `charset:`: a preset name, or a file read now (one character per line, the original
/// project's format) so the run's alphabet is stored with it.
enum CharsetFile {
    static func resolve(_ node: ConfigNode, baseDirectory: String) throws -> (CharsetSource, [String]?) {
        let text = try node.string()
        if let preset = CharsetPreset(rawValue: text) { return (.preset(preset), nil) }
        let path = absolute(text, base: baseDirectory)
        guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
            let presets = CharsetPreset.allCases.map(\.rawValue).joined(separator: ", ")
            throw node.error(.invalidValue, "'\(text)' is neither a preset (\(presets)) nor a readable UTF-8 file (\(path))")
        }
        let characters = try parse(contents, path: path, node: node)
        return (.file(path), characters)
    }

    /// One character per line; blank lines are skipped, duplicates and multi-character lines refused.
    static func parse(_ contents: String, path: String, node: ConfigNode) throws -> [String] {
        var characters: [String] = []
        var seen: [String: Int] = [:]
        // Split on the scalar "\n", not the Character: "\r\n" is one Character, so a CRLF file
        // would be one long line. A line may hold a space character, which is valid.
        for (number, scalars) in contents.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(String.UnicodeScalarView(scalars))
            if line.unicodeScalars.last == "\r" { line.unicodeScalars.removeLast() }
            if line.isEmpty { continue }
            guard line.count == 1 else {
                throw node.error(.invalidValue, "\(path):\(number + 1): expected one character per line, got '\(line)'")
            }
            if let first = seen[line] {
                throw node.error(.invalidValue, "\(path):\(number + 1): '\(line)' already appears on line \(first)")
            }
            seen[line] = number + 1
            characters.append(line)
        }
        guard !characters.isEmpty else { throw node.error(.invalidValue, "\(path) holds no characters") }
        return characters
    }

    static func absolute(_ path: String, base: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded).standardizedFileURL.path }
        return URL(fileURLWithPath: base).appendingPathComponent(expanded).standardizedFileURL.path
    }
}

/// Resolves `data: {dataset: FOLDER}`: the folder must hold `labels.tsv`; its labelled lines are
/// checked and counted now (by the rules `LabelledDataset` reads them with: blank lines skipped,
/// relative paths inside the folder, every image present) so the shards can slice it and a broken
/// line is an error at submit time rather than on a worker.
enum DatasetFolder {
    static func resolve(_ node: ConfigNode, baseDirectory: String) throws -> DataSource {
        let path = CharsetFile.absolute(try node.string(), base: baseDirectory)
        let labels = URL(fileURLWithPath: path).appendingPathComponent("labels.tsv").path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw node.error(.invalidValue, "no such folder: \(path)")
        }
        guard let contents = try? String(contentsOfFile: labels, encoding: .utf8) else {
            throw node.error(.invalidValue, "\(labels) is missing or not UTF-8 (expected one 'image<TAB>label' per line)")
        }
        var samples = 0
        // Split on scalars, not Characters: "\r\n" is one Character and would hide every line break.
        for (number, scalars) in contents.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(String.UnicodeScalarView(scalars))
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty { continue }
            let fields = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            guard fields.count == 2, !fields[0].isEmpty else {
                throw node.error(.invalidValue, "\(labels):\(number + 1): expected 'image<TAB>label'")
            }
            let image = String(fields[0])
            guard !image.hasPrefix("/"), !image.split(separator: "/").contains("..") else {
                throw node.error(.invalidValue, "\(labels):\(number + 1): path '\(image)' must be relative and stay inside the folder")
            }
            guard FileManager.default.fileExists(atPath: path + "/" + image) else {
                throw node.error(.invalidValue, "\(labels):\(number + 1): image '\(image)' not found")
            }
            samples += 1
        }
        // One line to train on and one held out for validation, at the very least.
        guard samples >= 2 else {
            throw node.error(.invalidValue, "\(labels) holds \(samples) labelled image(s); training needs at least 2 (one is held out for validation)")
        }
        return .dataset(path: path, samples: samples)
    }
}
