import Foundation
import Testing
@testable import TextImages

@Suite struct LabelledDatasetTests {
    @Test func readsLabelsAndReportsUnknownCharacters() throws {
        let dir = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/img", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture("grey8.png"), toPath: dir + "/img/a.png")
        try FileManager.default.copyItem(atPath: fixture("gradient.jpg"), toPath: dir + "/b.jpg")
        try "img/a.png\t123\nb.jpg\t4x5y6x\n".write(toFile: dir + "/labels.tsv", atomically: true, encoding: .utf8)
        let digits = try Charset.preset("digits")
        let dataset = try LabelledDataset(directory: dir, charset: digits)
        #expect(dataset.count == 2)
        #expect(dataset.entries[1].classes == [5, 6, 7])
        #expect(dataset.unknownCharacters == ["x": 2, "y": 1])
        #expect(dataset.unknownReport.contains("'x'×2"))
        let (image, label) = try dataset.load(0, width: 128, height: 32, direction: .horizontal)
        #expect(image.width == 128 && image.height == 32 && label == [2, 3, 4])
    }

    @Test func badLinesNameTheLine() throws {
        let dir = try temporaryDirectory()
        try FileManager.default.copyItem(atPath: fixture("grey8.png"), toPath: dir + "/a.png")
        try "a.png\tok\nno-tab-here\n".write(toFile: dir + "/labels.tsv", atomically: true, encoding: .utf8)
        #expect(throws: DatasetError.badLine(file: dir + "/labels.tsv", line: 2, reason: "expected 'relative/path<TAB>text' or 'relative/path<TAB>text<TAB>font'")) {
            try LabelledDataset(directory: dir, charset: try Charset.preset("ascii"))
        }
        try "a.png\tok\na.png\tx\tFont\textra\n".write(toFile: dir + "/labels.tsv", atomically: true, encoding: .utf8)
        #expect(throws: DatasetError.badLine(file: dir + "/labels.tsv", line: 2, reason: "expected 'relative/path<TAB>text' or 'relative/path<TAB>text<TAB>font'")) {
            try LabelledDataset(directory: dir, charset: try Charset.preset("ascii"))
        }
        try "a.png\tok\tFreeSans Bold\n".write(toFile: dir + "/labels.tsv", atomically: true, encoding: .utf8)
        let withFont = try LabelledDataset(directory: dir, charset: try Charset.preset("ascii"))
        #expect(withFont.entries[0].text == "ok" && withFont.entries[0].font == "FreeSans Bold", "the third column is the font")
        try "a.png\tok\nmissing.png\tx\n".write(toFile: dir + "/labels.tsv", atomically: true, encoding: .utf8)
        #expect(throws: DatasetError.badLine(file: dir + "/labels.tsv", line: 2, reason: "image 'missing.png' not found")) {
            try LabelledDataset(directory: dir, charset: try Charset.preset("ascii"))
        }
        #expect(throws: DatasetError.missingLabels(dir + "/none/labels.tsv")) {
            try LabelledDataset(directory: dir + "/none", charset: try Charset.preset("ascii"))
        }
    }
}
