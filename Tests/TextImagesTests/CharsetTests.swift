import Foundation
import Testing
@testable import TextImages

@Suite struct CharsetTests {
    let data = DataDirectory(path: repositoryRoot + "/data")

    @Test func presetsHaveTheirSizes() throws {
        #expect(try Charset.preset("digits").characters.count == 10)
        #expect(try Charset.preset("ascii").characters.count == 94)
        let level1 = try Charset.preset("gb2312-l1", data: data)
        let gb = try Charset.preset("gb2312", data: data)
        let hanzi = { (c: Charset) in c.characters.filter { (0x4E00...0x9FFF).contains($0.unicodeScalars.first!.value) }.count }
        #expect(hanzi(level1) == 3755)
        #expect(hanzi(gb) == 6763)
        #expect(try Charset.preset("full", data: data).characters.count >= 25_000)
        // The file presets agree with the built-in small ones.
        #expect(try Charset.load(file: data.file("charsets/ascii.txt")) == Charset.preset("ascii"))
    }

    @Test func encodeDecodeRoundTrip() throws {
        let gb = try Charset.preset("gb2312", data: data)
        let (classes, unknown) = gb.encode("中文OCR，测试123")
        #expect(unknown.isEmpty)
        #expect(classes.allSatisfy { $0 >= 1 })
        #expect(gb.decode(classes) == "中文OCR，测试123")
        #expect(gb.decode([0, Int(classes[0]), 0, 999_999]) == "中")   // blank and out of range skipped
        let (some, missing) = try Charset.preset("digits").encode("a1b2")
        #expect(some == [2, 3] && missing == ["a", "b"])
        #expect(throws: CharsetError.self) { try Charset.preset("digits").encodeExactly("12x") }
    }

    @Test func badNamesAndFilesGiveClearErrors() throws {
        #expect(throws: CharsetError.unknownPreset("gb9999", valid: Charset.presetNames)) {
            try Charset.named("gb9999", data: data)
        }
        let dir = try temporaryDirectory()
        #expect(throws: CharsetError.fileMissing(dir + "/none.txt")) { try Charset.named(dir + "/none.txt") }

        let duplicate = dir + "/dup.txt"
        try "a\nb\nc\nb\n".write(toFile: duplicate, atomically: true, encoding: .utf8)
        #expect(throws: CharsetError.duplicate(source: duplicate, line: 4, character: "b", firstLine: 2)) {
            try Charset.named(duplicate)
        }
        let twoPerLine = dir + "/two.txt"
        try "a\nbc\n".write(toFile: twoPerLine, atomically: true, encoding: .utf8)
        #expect(throws: CharsetError.notOneCharacter(source: twoPerLine, line: 2, text: "bc")) {
            try Charset.load(file: twoPerLine)
        }
        let blank = dir + "/blank.txt"
        try "a\n\nb\n".write(toFile: blank, atomically: true, encoding: .utf8)
        #expect(throws: CharsetError.notOneCharacter(source: blank, line: 2, text: "")) { try Charset.load(file: blank) }

        // The space may be a class (lines of words); a tab may not.
        #expect(try Charset(name: "words", characters: ["a", " ", "b"]).classCount == 4)
        #expect(throws: CharsetError.notOneCharacter(source: "tabs", line: 2, text: "\t")) {
            try Charset(name: "tabs", characters: ["a", "\t"])
        }

        let crlf = dir + "/crlf.txt"
        try "甲\r\n乙\r\n".write(toFile: crlf, atomically: true, encoding: .utf8)
        #expect(try Charset.load(file: crlf).characters == ["甲", "乙"])
        #expect(CharsetError.duplicate(source: duplicate, line: 4, character: "b", firstLine: 2).description.contains("dup.txt:4"))
    }
}
