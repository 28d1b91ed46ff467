import Foundation
import Testing
@testable import TextImages

/// Shared, loaded once: coverage comes from the on-disk cache after the first run.
private let data = DataDirectory(path: repositoryRoot + "/data")
private let fonts: FontSet = try! FontSet.load(data: data)
private let gb2312: Charset = try! Charset.preset("gb2312", data: data)

/// Rows (or columns) of `image` holding ink: pixels far from the background; nil when the
/// background is not flat (noise backgrounds have no well-defined ink extent).
private func inkExtent(_ image: GreyImage, alongX: Bool) -> Int? {
    var histogram = [Int](repeating: 0, count: 256)
    for p in image.pixels { histogram[Int(p)] += 1 }
    let background = histogram.indices.max { histogram[$0] < histogram[$1] }!
    guard histogram[background] * 2 > image.pixels.count else { return nil }
    var first = Int.max, last = -1
    for y in 0..<image.height {
        for x in 0..<image.width where abs(Int(image[x, y]) - background) > 40 {
            let t = alongX ? x : y
            first = min(first, t); last = max(last, t)
        }
    }
    return last >= first ? last - first + 1 : 0
}

@Suite struct SyntheticSourceTests {
    @Test(arguments: [TextDirection.horizontal, .vertical], [AugmentationPreset.seed, .rich, .real])
    func sameSeedSamePixelsDifferentSeedDifferent(direction: TextDirection, preset: AugmentationPreset) throws {
        let a = try SyntheticSource(charset: gb2312, fonts: fonts, preset: preset, direction: direction)
        let b = try SyntheticSource(charset: gb2312, fonts: fonts, preset: preset, direction: direction)
        for index: UInt64 in [0, 1, 17, 1_000_003] {
            let first = a.render(index: index, seed: 42)
            _ = b.render(index: index + 1, seed: 42)          // different history must not matter
            let again = b.render(index: index, seed: 42)
            #expect(first.pixels == again.pixels, "index \(index): same seed, different pixels")
            #expect(first.label == again.label)
            #expect(first.pixels.count == 512 * 32)
            #expect(first.pixels.allSatisfy { $0 >= -1 && $0 <= 1 })
            let other = a.render(index: index, seed: 43)
            #expect(other.pixels != first.pixels, "seeds 42 and 43 gave the same image")
            #expect(a.render(index: index + 1, seed: 42).pixels != first.pixels, "neighbouring indices gave the same image")
        }
        // The batch helper fills N×1×H×W with exactly the single renders.
        let n = 3
        var batch = [Float](repeating: .nan, count: n * 512 * 32)
        let labels = batch.withUnsafeMutableBufferPointer { a.renderBatch(seed: 5, indices: 10..<13, into: $0.baseAddress!) }
        for k in 0..<n {
            let single = b.render(index: UInt64(10 + k), seed: 5)
            #expect(Array(batch[(k * 512 * 32)..<((k + 1) * 512 * 32)]) == single.pixels, "batch slot \(k) differs")
            #expect(labels[k] == single.label)
        }
    }

    @Test(arguments: [TextDirection.horizontal, .vertical])
    func realLinesFillTheLineAndEndInPredictsEdgePadding(direction: TextDirection) throws {
        let charset = try Charset.preset(direction == .horizontal ? "digits" : "gb2312-l1", data: data)
        let (width, height) = direction == .horizontal ? (256, 32) : (32, 256)
        let source = try SyntheticSource(charset: charset, fonts: fonts, preset: .real, direction: direction,
                                         width: width, height: height)
        var sizes: [Int] = [], padded = 0
        for index: UInt64 in 0..<100 {
            let (image, details) = source.renderDetails(index: index, seed: 4)
            sizes.append(details.pixelSize)
            #expect(details.label == Array(details.intended.prefix(details.drawnGlyphs)), "sample \(index): label = drawn glyphs")
            // The far end repeats the crop's last column (row), as predict pads a short line.
            let far = direction == .horizontal ? (0..<32).map { image[width - 1, $0] } : (0..<32).map { image[$0, height - 1] }
            let nearFar = direction == .horizontal ? (0..<32).map { image[width - 2, $0] } : (0..<32).map { image[$0, height - 2] }
            if far == nearFar { padded += 1 }
        }
        // Seed and rich draw glyphs at most 30 px; tight crops of digits need ~44 px, of hanzi ~36.
        #expect(sizes.max()! >= (direction == .horizontal ? 38 : 33), "the largest glyph size \(sizes.max()!) px: tight crops must fill the line")
        // Loose crops (margins up to 0.75 of the ink on each side) leave the ink as little as
        // 12.8 px of 32: digits near 18 px, hanzi near 14, heavy strokes a little smaller.
        #expect(sizes.min()! >= 12, "the smallest glyph size \(sizes.min()!) px")
        #expect(sizes.min()! <= (direction == .horizontal ? 20 : 16),
                "the smallest glyph size \(sizes.min()!) px: loose crops must leave wide margins")
        #expect(padded >= 40, "\(padded) of 100 lines end in repeated edge columns")
    }

    /// A charset with a space sets words: the space only ever stands between two characters, so
    /// no label holds one the image cannot show; a charset without one never gets one.
    @Test(arguments: [AugmentationPreset.seed, .real])
    func aCharsetWithASpaceSetsWords(preset: AugmentationPreset) throws {
        let latin = try Charset.preset("latin")
        #expect(latin.classCount == 96 && latin.characters.first == " ")
        let source = try SyntheticSource(charset: latin, fonts: fonts, preset: preset, width: 192, height: 32)
        var withSpaces = 0
        for index: UInt64 in 0..<200 {
            let text = latin.decode(source.renderDetails(index: index, seed: 4).details.label)
            #expect(!text.isEmpty && !text.hasPrefix(" ") && !text.hasSuffix(" ") && !text.contains("  "), "'\(text)'")
            if text.contains(" ") { withSpaces += 1 }
        }
        #expect(withSpaces > 80, "most lines of several characters hold a word break")
        let again = try SyntheticSource(charset: latin, fonts: fonts, preset: preset, width: 192, height: 32)
        #expect(again.renderDetails(index: 17, seed: 4).details.label == source.renderDetails(index: 17, seed: 4).details.label)

        let ascii = try SyntheticSource(charset: try Charset.preset("ascii"), fonts: fonts, preset: preset, width: 192, height: 32)
        for index: UInt64 in 0..<50 {
            #expect(!(try Charset.preset("ascii")).decode(ascii.renderDetails(index: index, seed: 4).details.label).contains(" "))
        }
    }

    @Test func labelsAreWhatWasDrawn() throws {
        // A line too short for most texts: the label must shrink with the glyphs actually drawn.
        let narrow = try SyntheticSource(charset: gb2312, fonts: fonts, direction: .horizontal, width: 120, height: 32)
        var shrunk = 0
        for index: UInt64 in 0..<60 {
            let (_, details) = narrow.renderDetails(index: index, seed: 9)
            #expect(details.drawnGlyphs == details.label.count)
            #expect(Array(details.intended.prefix(details.label.count)) == details.label)
            #expect(details.label.count >= 1)
            // At most 120 / 18 px of ideographs fit (ASCII is narrower: allow up to 2× as many).
            #expect(details.label.count <= 2 * 120 / 18)
            if details.label.count < details.intended.count { shrunk += 1 }
        }
        #expect(shrunk > 30)
        // At full width nothing (or almost nothing) is dropped, and labels decode to charset text.
        let full = try SyntheticSource(charset: gb2312, fonts: fonts)
        for index: UInt64 in 0..<20 {
            let (_, details) = full.renderDetails(index: index, seed: 9)
            #expect(details.drawnGlyphs == details.label.count)
            #expect(details.label.allSatisfy { $0 >= 1 && Int($0) < gb2312.classCount })
            #expect(gb2312.encode(gb2312.decode(details.label)).classes == details.label)
        }
    }

    @Test func verticalLinesGrowAlongTheTallAxis() throws {
        let source = try SyntheticSource(charset: gb2312, fonts: fonts, direction: .vertical)
        var short: [Int] = [], long: [Int] = [], flat = 0
        for index: UInt64 in 0..<80 {
            let (image, details) = source.renderDetails(index: index, seed: 3)
            #expect(image.width == 32 && image.height == 512)
            guard let extent = inkExtent(image, alongX: false) else { continue }
            flat += 1
            // Ink extent down the column tracks the characters stacked: at least 0.6 em each.
            #expect(extent >= details.label.count * details.pixelSize * 6 / 10 - details.pixelSize,
                    "index \(index): \(details.label.count) chars at \(details.pixelSize) px, extent \(extent)")
            #expect(inkExtent(image, alongX: true)! <= 32)
            if details.pixelSize == 18 {
                if details.label.count <= 8 { short.append(extent) } else { long.append(extent) }
            }
        }
        #expect(flat > 40)
        if let s = short.max(), let l = long.min() { #expect(l > s, "longer labels must cover more of the column") }
    }

    @Test func customSizesAndErrors() throws {
        let small = try SyntheticSource(charset: try Charset.preset("digits"), fonts: fonts, direction: .horizontal, width: 200, height: 48)
        let (image, label) = small.renderImage(index: 0, seed: 1)
        #expect(image.width == 200 && image.height == 48)
        let text = try Charset.preset("digits").decode(label)
        #expect(!label.isEmpty && text.allSatisfy(\.isNumber))
        #expect(throws: SyntheticSourceError.self) {
            try SyntheticSource(charset: gb2312, fonts: fonts, direction: .horizontal, width: 20, height: 32)
        }
        let nothing = try Charset(name: "pua", characters: ["\u{0378}", "\u{0379}"])
        #expect(throws: SyntheticSourceError.self) { try SyntheticSource(charset: nothing, fonts: fonts) }
    }
}
