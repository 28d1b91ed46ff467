// Fixtures for the predict and eval tests: checkpoints built here with Engine's API (a random
// tiny model, and one trained in a few seconds to read block glyphs), image files of every kind
// written with libpng and TurboJPEG, and a runner that keeps stdout and stderr apart.
import CPNG
import CTurboJPEG
import Engine
import Foundation
import Store
import TestSupport
import TextImages

/// A fresh temporary folder for one test.
func temporaryFolder(_ label: String) throws -> String {
    let path = NSTemporaryDirectory() + "crnnctl-\(label)-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// crnnctl's output with stdout and stderr apart (JSON on stdout must parse on its own).
struct SplitOutput {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs the built crnnctl with `arguments`, stderr captured through a file.
func crnnctl(_ arguments: [String], environment: [String: String] = [:]) throws -> SplitOutput {
    let errors = NSTemporaryDirectory() + "crnnctl-stderr-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: errors) }
    let output = try CommandRunner.run(
        ["/bin/sh", "-c", "exec \"$0\" \"$@\" 2>\"$CRNNCTL_STDERR\"", BuiltProducts.path("crnnctl")] + arguments,
        environment: environment.merging(["CRNNCTL_STDERR": errors]) { $1 })
    let stderr = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
    return SplitOutput(status: output.status, stdout: output.text, stderr: stderr)
}

// MARK: - Checkpoints

/// A randomly initialised `tiny` model over the digits, written to `folder`; returns its path.
func randomCheckpoint(in folder: String, direction: Engine.TextDirection = .horizontal, seed: UInt64 = 3) throws -> String {
    let digits = (0...9).map(String.init)
    let model = CRNNModel(config: ModelPreset.tiny.config(classes: digits.count + 1), direction: direction, seed: seed)
    let (width, height) = direction == .horizontal ? (128, 32) : (32, 128)
    let path = folder + "/random-\(direction.rawValue).crnn"
    try model.checkpoint(preset: "tiny", charset: digits, imageHeight: height, imageWidth: width, step: 0).write(to: path)
    return path
}

/// Block glyphs a tiny model learns to read in a few seconds (the scheme of EngineTests'
/// LearningTests): each of four characters is a fixed random 16×8 pattern of 4×2-pixel blocks,
/// drawn left to right with random gaps on a black 32×64 line.
enum GlyphLines {
    static let charset = ["a", "b", "c", "d"]
    static let width = 64, glyphWidth = 8, glyphHeight = 16

    static let glyphs: [[UInt8]] = {
        var rng = SplitMix(seed: 77)
        return (0..<charset.count).map { _ in
            let blocks = (0..<8).map { _ in rng.next() % 2 == 0 ? UInt8(0) : 255 }
            return (0..<(glyphHeight * glyphWidth)).map { i in blocks[(i / glyphWidth) / 4 * 2 + (i % glyphWidth) / 4] }
        }
    }()

    /// `count` lines of 2–4 characters from stream `seed`: images and their texts.
    static func lines(count: Int, seed: UInt64) -> [(image: GreyImage, text: String)] {
        var rng = SplitMix(seed: seed)
        return (0..<count).map { _ in
            var image = GreyImage(width: width, height: 32, value: 0)
            let length = 2 + Int(rng.next() % 3)
            let classes = (0..<length).map { _ in Int(rng.next() % UInt64(charset.count)) }
            var x = Int(rng.next() % 4)
            for c in classes {
                for r in 0..<glyphHeight { for q in 0..<glyphWidth { image[x + q, 8 + r] = glyphs[c][r * glyphWidth + q] } }
                x += glyphWidth + 4 + Int(rng.next() % 4)
            }
            return (image, classes.map { charset[$0] }.joined())
        }
    }

    /// The trained checkpoint: trained once per test process, shared by the suites.
    static let trained: Result<Checkpoint, Error> = Result { try train() }

    /// Writes the trained checkpoint into `folder`; returns its path.
    static func writeTrained(in folder: String) throws -> String {
        let path = folder + "/glyphs.crnn"
        try trained.get().write(to: path)
        return path
    }

    /// Trains the tiny preset on 64 lines (Adam, 160 steps of 16).
    private static func train() throws -> Checkpoint {
        let data = lines(count: 64, seed: 1)
        let model = CRNNModel(config: ModelPreset.tiny.config(classes: charset.count + 1), seed: 11)
        let optimizer = Adam(layout: model.parameters.layout)
        let batch = 16, started = Date()
        defer { print("trained the glyph model in \(String(format: "%.1f", Date().timeIntervalSince(started))) s") }
        for step in 0..<160 {
            let slice = data[((step * batch) % data.count)...].prefix(batch)
            let images = slice.flatMap { $0.image.normalized() }
            let targets = slice.map { line in line.text.unicodeScalars.map { Int($0.value - 0x60) } }
            try model.trainStep(images: images, targets: targets)
            optimizer.step(parameters: model.parameters, gradients: model.gradients, learningRate: 4e-3)
        }
        return model.checkpoint(preset: "tiny", charset: charset, imageHeight: 32, imageWidth: width, step: 160)
    }
}

/// SplitMix64: a small seeded generator, so fixtures are the same on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

// MARK: - Image files

/// Pixel (x, y) of a test pattern: stripes and a gradient, so images are not flat.
func pattern(_ x: Int, _ y: Int) -> UInt8 { UInt8(((x / 3) % 2 == 0 ? 40 : 200) &+ UInt8((y * 3) % 50)) }

/// Writes a `width`×`height` PNG with `channels` 8-bit channels (1 grey, 3 RGB, 4 RGBA).
func writePNG(_ path: String, width: Int, height: Int, channels: Int) throws {
    // PNG_FORMAT_RGBA is a compound macro Swift does not import: spell it with the flags.
    let color = Int32(PNG_FORMAT_FLAG_COLOR), alpha = Int32(PNG_FORMAT_FLAG_ALPHA)
    let formats: [Int: Int32] = [1: 0, 3: color, 4: color | alpha]
    var pixels = [UInt8](repeating: 0, count: width * height * channels)
    for y in 0..<height { for x in 0..<width {
        let v = pattern(x, y)
        for c in 0..<channels { pixels[(y * width + x) * channels + c] = c == 3 ? (x < width / 2 ? 255 : 128) : v &+ UInt8(c * 10) }
    }}
    try writeSimplifiedPNG(path, width: width, height: height, format: formats[channels]!, pixels: pixels, stride: width * channels)
}

/// Writes a 16-bit grey PNG.
func writePNG16(_ path: String, width: Int, height: Int) throws {
    var pixels = [UInt16](repeating: 0, count: width * height)
    for y in 0..<height { for x in 0..<width { pixels[y * width + x] = UInt16(pattern(x, y)) * 257 } }
    try writeSimplifiedPNG(path, width: width, height: height, format: Int32(PNG_FORMAT_FLAG_LINEAR), pixels: pixels, stride: width)
}

private func writeSimplifiedPNG<T>(_ path: String, width: Int, height: Int, format: Int32, pixels: [T], stride: Int) throws {
    var image = png_image()
    image.version = png_uint_32(PNG_IMAGE_VERSION)
    image.width = png_uint_32(width)
    image.height = png_uint_32(height)
    image.format = png_uint_32(format)
    let ok = pixels.withUnsafeBytes { png_image_write_to_file(&image, path, 0, $0.baseAddress, png_int_32(stride), nil) }
    guard ok != 0 else { throw FixtureError("libpng could not write \(path)") }
}

/// Writes an RGB JPEG.
func writeJPEG(_ path: String, width: Int, height: Int) throws {
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for y in 0..<height { for x in 0..<width { for c in 0..<3 { pixels[(y * width + x) * 3 + c] = pattern(x, y) &+ UInt8(c * 20) } } }
    guard let handle = tjInitCompress() else { throw FixtureError("cannot create a TurboJPEG encoder") }
    defer { tjDestroy(handle) }
    var buffer: UnsafeMutablePointer<UInt8>? = nil
    var size: UInt = 0
    let status = pixels.withUnsafeBufferPointer {
        tjCompress2(handle, $0.baseAddress, Int32(width), 0, Int32(height), Int32(TJPF_RGB.rawValue),
                    &buffer, &size, Int32(TJSAMP_444.rawValue), 90, 0)
    }
    defer { tjFree(buffer) }
    guard status == 0, let buffer else { throw FixtureError("TurboJPEG could not encode \(path)") }
    try Data(bytes: buffer, count: Int(size)).write(to: URL(fileURLWithPath: path))
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
