import Foundation
import Testing
@testable import TextImages

@Suite struct FontSetTests {
    let data = DataDirectory(path: repositoryRoot + "/data")

    @Test func defaultFacesAreTheOnesNamed() throws {
        let specs = try FontList.defaults(data: data)
        #expect(specs.count == 12)
        let library = FreeTypeLibrary()
        for spec in specs {
            let face = try FontFace(library: library, spec: spec)
            // Face index 2 of the Noto .ttc files must be the Simplified Chinese face.
            if spec.path.contains("Noto") { #expect(face.familyName.hasSuffix("CJK SC"), "\(spec): \(face.familyName)") }
            #expect(spec.name.hasPrefix(face.familyName.replacingOccurrences(of: " CJK SC", with: "")),
                    "\(spec.name) vs \(face.familyName) \(face.styleName)")
        }
    }

    @Test func everyGB2312CharacterIsDrawnByADefaultFace() throws {
        let fonts = try FontSet.load(data: data)
        let gb = try Charset.preset("gb2312", data: data)
        #expect(fonts.undrawable(in: gb) == [])
        let masks = fonts.faceMasks(for: gb)
        let hanziClass = Int(gb.classIndex(of: "中")!)
        #expect(masks[hanziClass].nonzeroBitCount == 12)
    }

    @Test func coverageIsRealAndCached() throws {
        let cache = CoverageCache(directory: try temporaryDirectory())
        let library = FreeTypeLibrary()
        let smiley = try FontList.defaults(data: data).first { $0.name == "Smiley Sans" }!
        let first = try cache.coverage(of: smiley, library: library)
        #expect(first.contains(0x4E2D))                 // 中
        #expect(!first.contains(0x3400))                // Ext-A: Smiley Sans is GB2312-only
        #expect(!first.contains(0x20))                  // space: no outline
        #expect(FileManager.default.fileExists(atPath: try cache.cacheFile(for: smiley)))
        #expect(try cache.coverage(of: smiley, library: library) == first)
    }

    @Test func missingDefaultFontNamesThePackage() throws {
        let dir = try temporaryDirectory()
        try "/nonexistent/font.ttf\t0\tGhost Sans\tfonts-ghost\n".write(toFile: dir + "/fonts.tsv", atomically: true, encoding: .utf8)
        do {
            _ = try FontList.defaults(data: DataDirectory(path: dir))
            Issue.record("expected an error")
        } catch let error as FontListError {
            #expect(error.description.contains("apt-get install fonts-ghost"))
        }
        try "only-two\tfields\n".write(toFile: dir + "/fonts.tsv", atomically: true, encoding: .utf8)
        #expect(throws: FontListError.self) { try FontList.defaults(data: DataDirectory(path: dir)) }
    }
}
