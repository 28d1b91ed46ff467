import Foundation
import Testing
@testable import TextImages

/// The fixtures' pixel rule (see Fixtures/make_fixtures.py).
private func gradient(_ x: Int, _ y: Int) -> Int { 16 * x + 8 * y }

private func expectGradient(_ image: GreyImage, tolerance: Int, where include: (Int, Int) -> Bool = { _, _ in true }) {
    #expect(image.width == 12 && image.height == 9)
    var worst = 0
    for y in 0..<image.height {
        for x in 0..<image.width where include(x, y) {
            worst = max(worst, abs(Int(image[x, y]) - gradient(x, y)))
        }
    }
    #expect(worst <= tolerance, "worst pixel error \(worst)")
}

@Suite struct ImageIOTests {
    @Test func decodesEveryPNGKind() throws {
        expectGradient(try ImageFile.read(fixture("grey8.png")), tolerance: 0)
        expectGradient(try ImageFile.read(fixture("grey8-interlaced.png")), tolerance: 0)
        expectGradient(try ImageFile.read(fixture("rgb16.png")), tolerance: 1)
        let palette = try ImageFile.read(fixture("palette.png"))
        for y in 0..<9 { for x in 0..<12 { #expect(abs(Int(palette[x, y]) - 16 * ((x + y) % 16)) <= 1) } }
    }

    @Test func compositesAlphaOnWhite() throws {
        let image = try ImageFile.read(fixture("rgba8.png"))
        expectGradient(image, tolerance: 1, where: { x, _ in x < 6 })
        for y in 0..<9 { for x in 6..<12 { #expect(image[x, y] == 255) } }
    }

    @Test func decodesJPEG() throws {
        expectGradient(try ImageFile.read(fixture("gradient.jpg")), tolerance: 3)
        expectGradient(try ImageFile.read(fixture("gradient-rgb.jpg")), tolerance: 3)
    }

    @Test func pngRoundTrip() throws {
        var image = GreyImage(width: 37, height: 5)
        for i in image.pixels.indices { image.pixels[i] = UInt8((i * 7919) % 256) }
        let path = try temporaryDirectory() + "/round.png"
        try PNGCodec.write(image, to: path)
        #expect(try ImageFile.read(path) == image)
    }

    private func expectError(_ path: String, _ check: (ImageError.Reason) -> Bool) {
        do {
            _ = try ImageFile.read(path)
            Issue.record("reading \(path) should fail")
        } catch let error as ImageError {
            #expect(error.path == path)
            #expect(error.description.hasPrefix(path))
            #expect(check(error.reason), "unexpected reason: \(error)")
        } catch {
            Issue.record("unexpected error type: \(error)")
        }
    }

    @Test func badFilesNameTheFileAndReason() throws {
        let dir = try temporaryDirectory()
        expectError(dir + "/missing.png") { $0 == .missing }

        FileManager.default.createFile(atPath: dir + "/empty.png", contents: Data())
        expectError(dir + "/empty.png") { $0 == .empty }

        FileManager.default.createFile(atPath: dir + "/text.png", contents: Data("hello, not an image\n".utf8))
        expectError(dir + "/text.png") { $0 == .notAnImage }

        for name in ["grey8.png", "rgb16.png", "gradient.jpg"] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture(name)))
            let truncated = dir + "/truncated-" + name
            FileManager.default.createFile(atPath: truncated, contents: bytes.prefix(bytes.count / 2))
            expectError(truncated) { if case .corrupt = $0 { return true }; return false }

            // Keep the signature, scramble the rest.
            var scrambled = bytes
            for i in 12..<scrambled.count { scrambled[i] = UInt8((i * 131) & 0xFF) }
            let corrupt = dir + "/corrupt-" + name
            FileManager.default.createFile(atPath: corrupt, contents: scrambled)
            expectError(corrupt) { if case .corrupt = $0 { return true }; return false }
        }
    }

    @Test func resizeKeepsAspectAndPads() throws {
        let image = try ImageFile.read(fixture("grey8.png"))   // 12×9
        let tall = image.resized(toHeight: 32)
        #expect(tall.height == 32 && tall.width == 43)
        let fitted = image.fitted(width: 100, height: 32, vertical: false)
        #expect(fitted.width == 100 && fitted.height == 32)
        #expect(fitted[99, 0] == tall[42, 0])   // padding repeats the last column
        let vertical = image.fitted(width: 32, height: 200, vertical: true)
        #expect(vertical.width == 32 && vertical.height == 200)
        // Shrinking a constant image keeps it constant (weights sum to one).
        let flat = GreyImage(width: 300, height: 90, value: 77).resized(toHeight: 32)
        #expect(flat.pixels.allSatisfy { $0 == 77 })
        // A shrink averages: the gradient's mean is preserved within a level.
        let small = image.resized(width: 3, height: 3)
        let meanIn = image.pixels.reduce(0) { $0 + Int($1) } / image.pixels.count
        let meanOut = small.pixels.reduce(0) { $0 + Int($1) } / small.pixels.count
        #expect(abs(meanIn - meanOut) <= 2)
    }
}
