import ArgumentParser
import Foundation
import TextImages

/// `crnnctl bench gen`: synthetic rendering speed (render only, no PNG encoding).
struct BenchGenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gen",
        abstract: "Images per second of the synthetic text renderer (render to floats, no PNG).")

    @Option(help: "horizontal or vertical.")
    var direction: TextDirection = .horizontal

    @Option(help: "Charset preset or file.")
    var charset = "gb2312"

    @Option(help: "Augmentation preset: seed, rich or real.")
    var preset: AugmentationPreset = .seed

    @Option(help: "Rendering threads, each with its own renderer.")
    var threads = 1

    @Option(help: "Images per thread, timed after a warm-up of a fifth as many (fills the glyph cache).")
    var count = 5000

    @Option(help: "Image width (default 512 horizontal, 32 vertical).")
    var width: Int?

    @Option(help: "Image height (default 32 horizontal, 512 vertical).")
    var height: Int?

    @Option(help: "A folder of extra fonts.")
    var fontDir: String?

    func validate() throws {
        guard threads > 0 else { throw ValidationError("--threads must be positive") }
        guard count > 0 else { throw ValidationError("--count must be positive") }
    }

    func run() throws {
        let charset = try Charset.named(self.charset)
        let fonts = try FontSet.load(fontDirectory: fontDir)
        let first = try SyntheticSource(charset: charset, fonts: fonts, preset: preset, direction: direction,
                                        width: width, height: height)
        let sources = try [first] + (1..<threads).map { _ in try first.makeAnother() }
        let warmUp = max(count / 5, 1)
        let pixelsPerImage = first.width * first.height
        var elapsed = [Double](repeating: 0, count: threads)
        elapsed.withUnsafeMutableBufferPointer { times in
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                let source = sources[t]
                var buffer = [Float](repeating: 0, count: pixelsPerImage)
                var glyphs = 0
                buffer.withUnsafeMutableBufferPointer { out in
                    let base = UInt64(t) << 32
                    for i in 0..<warmUp { glyphs += source.render(index: base + UInt64(i), seed: 1, into: out.baseAddress!).count }
                    let started = DispatchTime.now().uptimeNanoseconds
                    for i in 0..<count { glyphs += source.render(index: base + UInt64(warmUp + i), seed: 1, into: out.baseAddress!).count }
                    times[t] = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                }
                if glyphs < 0 { print(glyphs) }   // keeps the work observable
            }
        }
        let wall = elapsed.max() ?? 1
        let total = Double(count * threads)
        print(String(format: "bench gen: %@ %dx%d, charset %@, preset %@, %d thread(s): %.0f images/s total, %.0f images/s per thread (%.3f ms/image)",
                     direction.rawValue, first.width, first.height, charset.name, preset.rawValue, threads,
                     total / wall, total / wall / Double(threads), wall * 1000 / Double(count)))
    }
}
