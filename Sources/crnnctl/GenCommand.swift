import ArgumentParser
import Foundation
import TextImages

/// `crnnctl gen`: renders synthetic text lines to PNG files plus `labels.tsv`.
struct GenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gen",
        abstract: "Render synthetic text-line images (PNG + labels.tsv) to look at or to train on.",
        discussion: """
            Example: crnnctl gen --direction vertical --charset gb2312 --count 100 --seed 7 --out DIR --sheet sheet.png
            Maintenance: crnnctl gen --keep-drawable tools/charsets/full-candidates.txt --min-faces 2 --out data/charsets/full.txt
            """)

    @Option(help: "Charset candidates file: write to --out only the characters that at least --min-faces faces draw.")
    var keepDrawable: String?

    @Option(help: "With --keep-drawable: how many faces must draw a character.")
    var minFaces = 2

    @Option(help: "Output folder (or, with --keep-drawable, the charset file to write).")
    var out: String

    @Option(help: "A folder of extra .ttf/.otf/.ttc fonts, added to the default faces.")
    var fontDir: String?

    func run() throws {
        if let keepDrawable {
            let candidates = try Charset.load(file: keepDrawable)
            let fonts = try FontSet.load(fontDirectory: fontDir)
            let kept = drawableCharacters(candidates, fonts: fonts, minFaces: minFaces)
            try (kept.joined(separator: "\n") + "\n").write(toFile: out, atomically: true, encoding: .utf8)
            print("\(out): kept \(kept.count) of \(candidates.characters.count) characters (drawn by ≥ \(minFaces) faces)")
            return
        }
    }
}
