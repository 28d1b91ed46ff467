import Foundation
import Testing
@testable import TextImages

private let data = DataDirectory(path: repositoryRoot + "/data")
private let fonts: FontSet = try! FontSet.load(data: data)

@Suite struct WordTextTests {
    @Test func onlyLatinCharsetsAreSetAsWords() throws {
        #expect(WordText.applies(to: try Charset.preset("latin")))
        #expect(WordText.applies(to: try Charset.preset("ascii")))
        #expect(!WordText.applies(to: try Charset.preset("digits")))
        #expect(!WordText.applies(to: try Charset.preset("gb2312-l1", data: data)), "hanzi charsets hold ASCII, but few")
        #expect(EnglishWords.dictionary.count == 6000 && EnglishWords.common.count >= 100)
        #expect(EnglishWords.dictionary.allSatisfy { $0.allSatisfy { ("a"..."z").contains($0) } && (2...12).contains($0.count) })
    }

    /// About half of `latin`'s real lines are running text: every token a word of the lists (in
    /// any casing, maybe quoted or punctuated) or a number; the other half stays random.
    @Test func halfOfTheLatinLinesAreWords() throws {
        let latin = try Charset.preset("latin")
        let source = try SyntheticSource(charset: latin, fonts: fonts, preset: .real, width: 512, height: 32)
        let known = Set(EnglishWords.common + EnglishWords.dictionary)
        func isWordOrNumber(_ token: Substring) -> Bool {
            let core = token.trimmingCharacters(in: CharacterSet(charactersIn: "\"'()[].,:;!?%"))
            return known.contains(core.lowercased()) || (!core.isEmpty && core.allSatisfy { $0.isNumber || $0 == "," || $0 == "." })
        }
        var wordLines = 0, withLowercaseL = 0
        for index: UInt64 in 0..<400 {
            let text = latin.decode(source.renderDetails(index: index, seed: 6).details.label)
            let tokens = text.split(separator: " ")
            // The last token may be cut where the canvas ends: judge the complete ones.
            let complete = tokens.count > 1 ? tokens.dropLast() : tokens[...]
            if complete.allSatisfy(isWordOrNumber) && complete.contains(where: { $0.contains(where: \.isLetter) }) {
                wordLines += 1
                if text.contains("l") { withLowercaseL += 1 }
            }
        }
        // 50 % drawn as words; random lines of one or two short tokens pass by chance rarely.
        #expect((150...260).contains(wordLines), "\(wordLines) of 400 lines are running text")
        #expect(withLowercaseL > 40, "words teach `l` among lowercase letters: \(withLowercaseL) lines")
    }

    @Test func wordLinesAreDeterministicAndFitTheLimit() {
        for index: UInt64 in 0..<200 {
            var a = RandomSource(seed: 9, index: index), b = RandomSource(seed: 9, index: index)
            let length = 1 + Int(index % 24)
            let line = WordText.line(length: length, limit: 24, spaces: true, rng: &a)
            #expect(line == WordText.line(length: length, limit: 24, spaces: true, rng: &b))
            #expect(!line.isEmpty && line.count <= 24 && !line.hasPrefix(" ") && !line.hasSuffix(" ") && !line.contains("  "))
            var c = RandomSource(seed: 9, index: index)
            #expect(!WordText.line(length: length, limit: 24, spaces: false, rng: &c).contains(" "))
        }
    }
}
