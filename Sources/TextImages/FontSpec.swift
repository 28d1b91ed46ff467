import Foundation

/// One face of one font file: what the renderer opens, and what makes a shard reproducible.
public struct FontSpec: Sendable, Hashable, CustomStringConvertible {
    public let path: String
    /// The face index inside a `.ttc` collection (Noto CJK SC is face 2).
    public let faceIndex: Int
    public let name: String
    /// The Debian package that installs it (nil for user fonts).
    public let package: String?

    public init(path: String, faceIndex: Int = 0, name: String, package: String? = nil) {
        self.path = path
        self.faceIndex = faceIndex
        self.name = name
        self.package = package
    }

    public var description: String { "\(name) (\(path)#\(faceIndex))" }
}

public enum FontListError: Error, Equatable, CustomStringConvertible {
    case badLine(file: String, line: Int, reason: String)
    case missingDefault(FontSpec)
    case fontDirectory(String, reason: String)
    case cannotOpen(FontSpec, freetypeError: Int32)

    public var description: String {
        switch self {
        case .badLine(let file, let line, let reason): return "\(file):\(line): \(reason)"
        case .missingDefault(let spec):
            return "default font \(spec.name) missing: \(spec.path) not found; install it with `apt-get install \(spec.package ?? "?")`"
        case .fontDirectory(let dir, let reason): return "--font-dir \(dir): \(reason)"
        case .cannotOpen(let spec, let code): return "\(spec): FreeType cannot open this face (error \(code))"
        }
    }
}

public enum FontList {
    /// The default faces listed in `data/fonts.tsv` (path, face index, name, package; `#` comments).
    /// - Throws: `FontListError.badLine` naming the line, `.missingDefault` naming the package.
    public static func defaults(data: DataDirectory) throws -> [FontSpec] {
        let file = data.file("fonts.tsv")
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw FontListError.badLine(file: file, line: 0, reason: "cannot read: \(error.localizedDescription)")
        }
        var specs: [FontSpec] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 4 else {
                throw FontListError.badLine(file: file, line: i + 1, reason: "expected 4 tab-separated fields (path, face index, name, package), found \(fields.count)")
            }
            guard let index = Int(fields[1]), index >= 0 else {
                throw FontListError.badLine(file: file, line: i + 1, reason: "face index '\(fields[1])' is not a non-negative integer")
            }
            specs.append(FontSpec(path: fields[0], faceIndex: index, name: fields[2], package: fields[3]))
        }
        for spec in specs where !FileManager.default.fileExists(atPath: spec.path) {
            throw FontListError.missingDefault(spec)
        }
        return specs
    }

    /// Every face of every `.ttf`/`.otf`/`.ttc`/`.otc` file under `directory` (recursive), sorted
    /// by path then face index so the order is the same on every machine.
    public static func userFonts(in directory: String, library: FreeTypeLibrary) throws -> [FontSpec] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw FontListError.fontDirectory(directory, reason: "not a directory")
        }
        guard let walker = FileManager.default.enumerator(atPath: directory) else {
            throw FontListError.fontDirectory(directory, reason: "cannot list")
        }
        let extensions: Set<String> = ["ttf", "otf", "ttc", "otc"]
        var files: [String] = []
        for case let relative as String in walker
        where extensions.contains(URL(fileURLWithPath: relative).pathExtension.lowercased()) {
            files.append(directory + "/" + relative)
        }
        var specs: [FontSpec] = []
        for file in files.sorted() {
            let probe = FontSpec(path: file, faceIndex: 0, name: URL(fileURLWithPath: file).lastPathComponent)
            let count = try library.faceCount(of: probe)
            for index in 0..<count {
                let face = try FontFace(library: library, spec: FontSpec(path: file, faceIndex: index, name: probe.name))
                specs.append(FontSpec(path: file, faceIndex: index, name: face.familyName + " " + face.styleName))
            }
        }
        if specs.isEmpty { throw FontListError.fontDirectory(directory, reason: "no .ttf/.otf/.ttc/.otc fonts in it") }
        return specs
    }
}
