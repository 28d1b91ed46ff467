import Foundation

/// The faces a renderer may use, with their coverage: shareable between threads (plain values).
/// Each rendering thread opens its own FreeType faces from it (`openFaces`).
public struct FontSet: Sendable {
    public let coverage: [FontCoverage]
    public var specs: [FontSpec] { coverage.map(\.spec) }

    public init(coverage: [FontCoverage]) {
        precondition(coverage.count <= 64, "at most 64 faces (face masks are 64-bit)")
        self.coverage = coverage
    }

    /// The default faces of `data/fonts.tsv` (unless `includeDefaults` is false) plus every face
    /// under `fontDirectory`, with coverage from the cache.
    /// - Throws: `FontListError` (a missing default font names its Debian package),
    ///   `DataDirectoryError` when the data folder cannot be found.
    public static func load(fontDirectory: String? = nil, includeDefaults: Bool = true,
                            data: DataDirectory? = nil, cache: CoverageCache = .standard()) throws -> FontSet {
        let library = FreeTypeLibrary()
        var specs: [FontSpec] = []
        if includeDefaults { specs += try FontList.defaults(data: data ?? DataDirectory.locate()) }
        if let fontDirectory { specs += try FontList.userFonts(in: fontDirectory, library: library) }
        if specs.isEmpty { throw FontListError.fontDirectory(fontDirectory ?? "", reason: "no fonts to render with") }
        if specs.count > 64 { throw FontListError.fontDirectory(fontDirectory ?? "", reason: "\(specs.count) faces; at most 64 are supported") }
        // Coverage of uncached faces is the slow part: compute them in parallel, one FreeType
        // library per task because FT_Library and FT_Face are not thread-safe.
        let results = UnsafeMutableBufferPointer<Result<FontCoverage, Error>?>.allocate(capacity: specs.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: specs.count) { i in
            let lib = FreeTypeLibrary()
            results[i] = Result { try cache.coverage(of: specs[i], library: lib) }
        }
        return FontSet(coverage: try results.map { try $0!.get() })
    }

    /// Opens every face for one thread's exclusive use.
    public func openFaces() throws -> [FontFace] {
        let library = FreeTypeLibrary()
        return try specs.map { try FontFace(library: library, spec: $0) }
    }

    /// Per class of `charset` (index 0 = blank, 0), the bit mask of faces that draw it.
    public func faceMasks(for charset: Charset) -> [UInt64] {
        var masks = [UInt64](repeating: 0, count: charset.classCount)
        for (f, cov) in coverage.enumerated() {
            for c in 1..<charset.classCount where cov.contains(charset.scalar(ofClass: c)!.value) {
                masks[c] |= 1 << UInt64(f)
            }
        }
        return masks
    }

    /// The characters of `charset` that no face draws (a charset the fonts cannot render).
    public func undrawable(in charset: Charset) -> [String] {
        let masks = faceMasks(for: charset)
        return (1..<charset.classCount).filter { masks[$0] == 0 }.map { charset.characters[$0 - 1] }
    }
}
