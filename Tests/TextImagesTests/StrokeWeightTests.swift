import Foundation
import Testing
@testable import TextImages

private let data = DataDirectory(path: repositoryRoot + "/data")
private let fonts: FontSet = try! FontSet.load(data: data)

@Suite struct StrokeWeightTests {
    /// Total coverage of one glyph: the ink a weight adds or takes away.
    private func ink(_ glyph: Glyph) -> Int { glyph.coverage.reduce(0) { $0 + Int($1) } }

    @Test func heavierWeightsDrawMoreInkAndWiderAdvances() throws {
        let faces = try fonts.openFaces()
        let cache = GlyphCache()
        for (number, face) in faces.enumerated().prefix(4) {
            for scalar in ["8", "中"].map({ $0.unicodeScalars.first!.value }) where face.draws(scalar) {
                let glyphs = StrokeWeight.allCases.map {
                    cache.glyph(face: face, faceNumber: number, size: 40, scalar: scalar, vertical: false, weight: $0)
                }
                let inks = glyphs.map(ink)
                #expect(inks == inks.sorted() && Set(inks).count == inks.count,
                        "\(face.spec.name) U+\(String(scalar, radix: 16)): ink by weight \(inks)")
                // +8 % of 40 px = 3.2 px: the heavy glyph is about that much wider than the regular one.
                let grown = glyphs[3].width - glyphs[1].width
                #expect((2...5).contains(grown), "\(face.spec.name): heavy glyph \(grown) px wider")
                #expect(glyphs[3].advance > glyphs[1].advance && glyphs[0].advance <= glyphs[1].advance)
            }
        }
    }

    @Test func weightsAreCachedApartAndRenderAlikeEveryTime() throws {
        let faces = try fonts.openFaces()
        let cache = GlyphCache(), fresh = GlyphCache()
        let scalar = UInt32(("3" as Unicode.Scalar).value)
        let heavy = cache.glyph(face: faces[0], faceNumber: 0, size: 32, scalar: scalar, vertical: false, weight: .heavy)
        let regular = cache.glyph(face: faces[0], faceNumber: 0, size: 32, scalar: scalar, vertical: false)
        #expect(heavy.coverage != regular.coverage, "the regular glyph came from the heavy glyph's cache slot")
        let again = fresh.glyph(face: faces[0], faceNumber: 0, size: 32, scalar: scalar, vertical: false, weight: .heavy)
        #expect(again.coverage == heavy.coverage && again.width == heavy.width && again.left == heavy.left)
    }

    @Test func strengthIsAFractionOfTheSize() {
        #expect(StrokeWeight.regular.strength(size: 50) == 0)
        #expect(StrokeWeight.bolder.strength(size: 50) == 128)     // 2 px in 26.6
        #expect(StrokeWeight.heavy.strength(size: 50) == 256)
        #expect(StrokeWeight.lighter.strength(size: 50) == -64)
    }
}

@Suite struct RealLineStyleTests {
    @Test func realLinesComeInEveryWeightAndSomeAreMonospaced() throws {
        let latin = try Charset.preset("latin", data: data)
        let horizontal = try SyntheticSource(charset: latin, fonts: fonts, preset: .real, direction: .horizontal,
                                             width: 256, height: 32)
        var weights: [StrokeWeight: Int] = [:], monospaced = 0
        for index: UInt64 in 0..<400 {
            let details = horizontal.renderDetails(index: index, seed: 11).details
            weights[details.weight, default: 0] += 1
            if let pitch = details.pitch {
                monospaced += 1
                // 0.5–0.7 em.
                #expect(pitch * 10 >= details.pixelSize * 5 - 10 && pitch * 10 <= details.pixelSize * 7 + 10,
                        "sample \(index): pitch \(pitch) px at size \(details.pixelSize)")
            }
        }
        // Shares 12 / 48 / 24 / 16 % and 15 % monospaced: bounds far outside sampling noise at n = 400.
        #expect((25...75).contains(weights[.lighter] ?? 0), "lighter: \(weights[.lighter] ?? 0) of 400")
        #expect((150...240).contains(weights[.regular] ?? 0), "regular: \(weights[.regular] ?? 0) of 400")
        #expect((65...130).contains(weights[.bolder] ?? 0), "bolder: \(weights[.bolder] ?? 0) of 400")
        #expect((40...100).contains(weights[.heavy] ?? 0), "heavy: \(weights[.heavy] ?? 0) of 400")
        #expect((30...95).contains(monospaced), "\(monospaced) of 400 lines monospaced")

        // Vertical lines are set on an em grid already: never given a pitch.
        let gb = try Charset.preset("gb2312-l1", data: data)
        let vertical = try SyntheticSource(charset: gb, fonts: fonts, preset: .real, direction: .vertical,
                                           width: 32, height: 256)
        #expect((0..<100).allSatisfy { vertical.renderDetails(index: $0, seed: 11).details.pitch == nil })
    }
}
