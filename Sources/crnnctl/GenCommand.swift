import ArgumentParser
import Foundation
import TextImages

extension TextDirection: ExpressibleByArgument {}
extension AugmentationPreset: ExpressibleByArgument {}

/// `crnnctl gen`: renders synthetic text lines to PNG files plus `labels.tsv`.
struct GenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gen",
        abstract: "Render synthetic text-line images (PNG + labels.tsv) to look at or to train on.",
        discussion: """
            Example: crnnctl gen --direction vertical --charset gb2312 --count 100 --seed 7 --out DIR --sheet sheet.png
            Maintenance: crnnctl gen --keep-drawable tools/charsets/full-candidates.txt --min-faces 2 --out data/charsets/full.txt
            """)

    @Option(help: "horizontal or vertical.")
    var direction: TextDirection = .horizontal

    @Option(help: "A charset preset (\(Charset.presetNames.joined(separator: ", "))) or a file, one character per line.")
    var charset = "gb2312"

    @Option(help: "How many images to render.")
    var count = 100

    @Option(help: "The stream's seed: same seed, same images.")
    var seed: UInt64 = 1

    @Option(help: "Index of the first sample.")
    var start: UInt64 = 0

    @Option(help: "Augmentation preset: seed (the original's distributions), rich or real (crops as predict sees them).")
    var preset: AugmentationPreset = .seed

    @Option(help: "Image width (default 512 horizontal, 32 vertical).")
    var width: Int?

    @Option(help: "Image height (default 32 horizontal, 512 vertical).")
    var height: Int?

    @Option(help: "Also write a contact sheet of the first images to this PNG.")
    var sheet: String?

    @Option(help: "Output folder (or, with --keep-drawable, the charset file to write).")
    var out: String

    @Option(help: "A folder of extra .ttf/.otf/.ttc fonts, added to the default faces.")
    var fontDir: String?

    @Flag(help: "Print each image's face and pixel size.")
    var verbose = false

    @Option(help: "Maintenance: a charset candidates file; writes to --out only the characters that at least --min-faces faces draw.")
    var keepDrawable: String?

    @Option(help: "With --keep-drawable: how many faces must draw a character.")
    var minFaces = 2

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        if let width, width < 8 { throw ValidationError("--width must be at least 8") }
        if let height, height < 8 { throw ValidationError("--height must be at least 8") }
    }

    func run() throws {
        if let keepDrawable { return try writeDrawable(keepDrawable) }
        let charset = try Charset.named(self.charset)
        let fonts = try FontSet.load(fontDirectory: fontDir)
        let source = try SyntheticSource(charset: charset, fonts: fonts, preset: preset, direction: direction,
                                         width: width, height: height)
        let missing = source.undrawableCharacters
        if !missing.isEmpty {
            printError("warning: \(missing.count) characters of \(charset.name) are drawn by no font and will not appear: \(missing.prefix(20).joined())")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var labels = ""
        var sheetImages: [GreyImage] = []
        let sheetCount = direction == .horizontal ? 24 : 32
        let started = Date()
        for n in 0..<count {
            let index = start + UInt64(n)
            let (image, details) = source.renderDetails(index: index, seed: seed)
            let label = details.label
            if verbose { printError("\(index)\t\(details.face.name)\t\(details.pixelSize) px\t\(label.count) of \(details.intended.count) characters") }
            let name = String(format: "%08llu.png", index)
            try PNGCodec.write(image, to: out + "/" + name)
            labels += name + "\t" + charset.decode(label) + "\n"
            if sheet != nil && sheetImages.count < sheetCount { sheetImages.append(image) }
            if (n + 1) % 100 == 0 || n + 1 == count {
                let rate = Double(n + 1) / max(Date().timeIntervalSince(started), 1e-9)
                FileHandle.standardError.write(Data(String(format: "\rgen: %d/%d images (%.0f/s)", n + 1, count, rate).utf8))
            }
        }
        FileHandle.standardError.write(Data("\n".utf8))
        try labels.write(toFile: out + "/labels.tsv", atomically: true, encoding: .utf8)
        print("\(out): \(count) images + labels.tsv (\(direction.rawValue), \(charset.name), preset \(preset.rawValue), seed \(seed))")
        if let sheet {
            let columns = direction == .horizontal ? 2 : sheetImages.count
            try PNGCodec.write(contactSheet(sheetImages, columns: columns), to: sheet)
            print("\(sheet): contact sheet of \(sheetImages.count) images")
        }
    }

    private func writeDrawable(_ candidatesFile: String) throws {
        let candidates = try Charset.load(file: candidatesFile)
        let fonts = try FontSet.load(fontDirectory: fontDir)
        let kept = drawableCharacters(candidates, fonts: fonts, minFaces: minFaces)
        try (kept.joined(separator: "\n") + "\n").write(toFile: out, atomically: true, encoding: .utf8)
        print("\(out): kept \(kept.count) of \(candidates.characters.count) characters (drawn by ≥ \(minFaces) faces)")
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
