// Running text for the `real` preset's Latin lines. Text read in the world is words, so a model
// trained only on uniformly random characters has no reason to prefer `l` over `I` inside a
// lowercase word (`silver`, not `siIver`) or `o` over `0` in one: half of the lines of a Latin
// charset are set from English words (EnglishWords), numbers and punctuation, the other half
// stay uniformly random so that every character is still seen.
import Foundation

/// The grammar of a word line, in one place.
enum WordText {
    /// Lines of a Latin charset set as words.
    static let share: Float = 0.5
    /// Tokens drawn from the most frequent words (running text is mostly these).
    static let commonShare: Float = 0.35
    /// Tokens that are numbers: counts, amounts, grouped thousands.
    static let numberShare: Float = 0.12
    /// Words followed by punctuation, and words in quotes or brackets.
    static let punctuationShare: Float = 0.14
    static let enclosedShare: Float = 0.04
    private static let enclosures: [(String, String)] = [("\"", "\""), ("(", ")"), ("'", "'"), ("[", "]")]
    private static let marks: [Character] = [".", ",", ":", ";", "!", "?"]

    /// Whether `charset` is one of Latin letters: all of a–z and A–Z, and mostly ASCII.
    static func applies(to charset: Charset) -> Bool {
        let letters = (UInt8(ascii: "a")...UInt8(ascii: "z")).flatMap { [Unicode.Scalar($0), Unicode.Scalar($0 - 32)] }
        guard letters.allSatisfy({ charset.classIndex(of: $0) != nil }) else { return false }
        let ascii = charset.characters.filter { $0.unicodeScalars.allSatisfy(\.isASCII) }.count
        return ascii * 2 >= charset.characters.count
    }

    /// A line of about `length` characters (at most `limit`): words separated by spaces when
    /// the charset has one, else a single token.
    static func line(length: Int, limit: Int, spaces: Bool, rng: inout RandomSource) -> String {
        var text = token(rng: &rng)
        while spaces && text.count < length {
            let next = token(rng: &rng)
            if text.count + 1 + next.count > limit { break }
            text += " " + next
        }
        return text.count > limit ? String(text.prefix(limit)) : text
    }

    static func token(rng: inout RandomSource) -> String {
        if rng.chance(numberShare) { return number(rng: &rng) }
        let words = rng.chance(commonShare) ? EnglishWords.common : EnglishWords.dictionary
        var word = words[rng.int(words.count)]
        let casing = rng.unit()
        if casing < 0.25 {
            word = word.prefix(1).uppercased() + word.dropFirst()
        } else if casing < 0.35 {
            word = word.uppercased()
        }
        if rng.chance(enclosedShare) {
            let (open, close) = enclosures[rng.int(enclosures.count)]
            word = open + word + close
        }
        if rng.chance(punctuationShare) { word.append(marks[rng.int(marks.count)]) }
        return word
    }

    private static func number(rng: inout RandomSource) -> String {
        let digits = 1 + rng.int(5)
        var value = rng.int(Int(pow(10, Double(digits))))
        switch rng.int(4) {
        case 0:
            return String(value)
        case 1:
            return String(value) + "." + String(format: "%02d", rng.int(100))
        case 2:
            value += 1000
            var groups: [String] = []
            while value >= 1000 { groups.insert(String(format: "%03d", value % 1000), at: 0); value /= 1000 }
            return ([String(value)] + groups).joined(separator: ",")
        default:
            return String(value) + "%"
        }
    }
}

extension SyntheticSource {
    /// Sets `layout.classes` to a word line of about `length` characters; returns the face,
    /// uniform among those that draw every character, or nil (nothing set) when no face draws
    /// them all or the charset lacks one of them.
    func chooseWords(length: Int, rng: inout RandomSource) -> Int? {
        let text = WordText.line(length: length, limit: RealisticLine.maxLength, spaces: tables.spaceClass != nil, rng: &rng)
        let (classes, unknown) = charset.encode(text)
        guard unknown.isEmpty, !classes.isEmpty else { return nil }
        var common = tables.allFaces
        for c in classes where Int(c) != tables.spaceClass { common &= tables.masks[Int(c)] }
        guard common != 0 else { return nil }
        layout.classes.removeAll(keepingCapacity: true)
        layout.classes.append(contentsOf: classes)
        return pickFace(among: common, rng: &rng)
    }
}
