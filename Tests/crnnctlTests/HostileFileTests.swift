import Foundation
import Store
import Testing
import TestSupport
import TextImages

/// Image files as an attacker or an unlucky folder holds them: headers declaring gigapixels in a
/// few KB, and names that are not UTF-8 or hold a tab or a newline. Each bad file must fail alone
/// with its own message, in small memory, and every name must come out on one line.
@Suite struct HostileFileTests {
    /// Runs `script` with /bin/sh, `$CRNNCTL` naming the built crnnctl; stderr kept apart.
    static func shell(_ script: String, environment: [String: String] = [:]) throws -> SplitOutput {
        let errors = NSTemporaryDirectory() + "crnnctl-stderr-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: errors) }
        let output = try CommandRunner.run(
            ["/bin/sh", "-c", "exec 2>\"$CRNNCTL_STDERR\"; " + script],
            environment: environment.merging(["CRNNCTL_STDERR": errors, "CRNNCTL": BuiltProducts.path("crnnctl")]) { $1 })
        let stderr = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
        return SplitOutput(status: output.status, stdout: output.text, stderr: stderr)
    }

    /// A folder with a random checkpoint, one good PNG, a PNG declaring 100000×100000 and a JPEG
    /// declaring 65500×65500.
    static func bombFolder() throws -> (folder: String, checkpoint: String) {
        let folder = try temporaryFolder("bombs")
        let checkpoint = try randomCheckpoint(in: folder)
        let images = folder + "/images"
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        try writePNG(images + "/good.png", width: 100, height: 32, channels: 1)
        try Data(HostileFiles.pngDeclaring(width: 100_000, height: 100_000, dataBytes: 60_000))
            .write(to: URL(fileURLWithPath: images + "/bomb.png"))
        try writeJPEG(images + "/small.jpg", width: 16, height: 16)
        let small = [UInt8](try Data(contentsOf: URL(fileURLWithPath: images + "/small.jpg")))
        try FileManager.default.removeItem(atPath: images + "/small.jpg")
        try Data(HostileFiles.jpeg(small, declaring: 65500, height: 65500)).write(to: URL(fileURLWithPath: images + "/bomb.jpg"))
        return (folder, checkpoint)
    }

    @Test func imageBombsFailAloneInSmallMemory() throws {
        let (folder, checkpoint) = try Self.bombFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // 2 GiB of address space: decoding either bomb as declared needs 4–30 GB, so a decoder
        // that allocates before checking aborts here instead of swapping the machine.
        let output = try Self.shell(
            "ulimit -v 2097152; exec \"$CRNNCTL\" predict --checkpoint \"$CKPT\" --threads 1 --dir \"$DIR\"",
            environment: ["CKPT": checkpoint, "DIR": folder + "/images"])
        #expect(output.status == 1, "bombs fail, the good file is read: \(output.stderr)")
        let lines = output.stdout.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.hasPrefix(folder + "/images/good.png\t") == true, "\(output.stdout)")
        let png = output.stderr.split(separator: "\n").first { $0.contains("bomb.png") } ?? ""
        #expect(png.contains("100000×100000") && png.contains("limit of 50000000 pixels") && png.contains("--max-pixels"), "\(output.stderr)")
        let jpeg = output.stderr.split(separator: "\n").first { $0.contains("bomb.jpg") } ?? ""
        #expect(jpeg.contains("65500×65500") && jpeg.contains("limit of 50000000 pixels"), "\(output.stderr)")
        #expect(output.stderr.contains("2 of 3 images could not be read"))
        #expect(!output.stderr.contains("Fatal error"))
    }

    @Test func theLimitIsAnOptionAndAnEnvironmentVariable() throws {
        let folder = try temporaryFolder("limits")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let checkpoint = try randomCheckpoint(in: folder)
        let image = folder + "/line.png"
        try writePNG(image, width: 100, height: 32, channels: 1)   // 3200 pixels
        let option = try crnnctl(["predict", "--checkpoint", checkpoint, "--max-pixels", "3199", image])
        #expect(option.status == 1 && option.stderr.contains("limit of 3199 pixels"), "\(option.stderr)")
        let variable = try crnnctl(["predict", "--checkpoint", checkpoint, image], environment: ["CRNN_MAX_IMAGE_PIXELS": "3199"])
        #expect(variable.status == 1 && variable.stderr.contains("limit of 3199 pixels"), "\(variable.stderr)")
        let enough = try crnnctl(["predict", "--checkpoint", checkpoint, "--max-pixels", "3200", image],
                                 environment: ["CRNN_MAX_IMAGE_PIXELS": "3199"])
        #expect(enough.status == 0, "the option wins over the variable: \(enough.stderr)")
        #expect(try crnnctl(["predict", "--checkpoint", checkpoint, "--max-pixels", "0", image]).status == 64)
        #expect(try crnnctl(["predict", "--checkpoint", checkpoint, image], environment: ["CRNN_MAX_IMAGE_PIXELS": "lots"]).status == 64)
        let help = try crnnctl(["predict", "--help"]).stdout
        #expect(help.contains("--max-pixels") && help.contains("50000000 pixels"))
    }

    @Test func theLibraryChecksTheHeaderBeforeAllocating() throws {
        let folder = try temporaryFolder("library-bombs")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/bomb.png"
        try Data(HostileFiles.pngDeclaring(width: 100_000, height: 100_000)).write(to: URL(fileURLWithPath: path))
        #expect(throws: ImageError(path: path, reason: .tooManyPixels(width: 100_000, height: 100_000, limit: 50_000_000))) {
            try ImageFile.read(path, limits: ImageLimits())
        }
        try writePNG(folder + "/line.png", width: 100, height: 32, channels: 3)
        #expect(throws: ImageError(path: folder + "/line.png", reason: .tooManyPixels(width: 100, height: 32, limit: 100))) {
            try ImageFile.read(folder + "/line.png", limits: ImageLimits(maxPixels: 100))
        }
        #expect(try ImageFile.read(folder + "/line.png", limits: ImageLimits(maxPixels: 3200)).width == 100)
        #expect(try ImageLimits.fromEnvironment(["CRNN_MAX_IMAGE_PIXELS": "1000"]) == ImageLimits(maxPixels: 1000))
        #expect(throws: ImageLimitsError.self) { try ImageLimits.fromEnvironment(["CRNN_MAX_IMAGE_PIXELS": "-5"]) }
    }

    // MARK: names

    /// Names that are not UTF-8, or hold a newline, a tab or a backslash, and how predict prints them.
    static let names: [(bytes: [UInt8], shell: String, printed: String)] = [
        (Array("back\\slash.png".utf8), "back\\\\slash.png", "back\\\\slash.png"),
        (Array("caf".utf8) + [0xE9] + Array(".png".utf8), "caf\\351.png", "caf\\xe9.png"),
        (Array("tab\there.png".utf8), "tab\\there.png", "tab\\there.png"),
        (Array("two\nlines.png".utf8), "two\\nlines.png", "two\\nlines.png"),
    ]

    /// A folder holding a good PNG under each of `names`.
    static func oddlyNamedFolder() throws -> (folder: String, checkpoint: String, images: String) {
        let folder = try temporaryFolder("names")
        let checkpoint = try randomCheckpoint(in: folder)
        let images = folder + "/images"
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        for (bytes, _, _) in names {
            try writePNG(images + "/plain.png", width: 90, height: 30, channels: 1)
            let renamed = RawPath(images + "/plain.png").withCString { from in
                RawPath(bytes: Array((images + "/").utf8) + bytes).withCString { rename(from, $0) }
            }
            #expect(renamed == 0)
        }
        return (folder, checkpoint, images)
    }

    @Test func oddNamesAreOpenedAndPrintedOnOneLine() throws {
        let (folder, checkpoint, images) = try Self.oddlyNamedFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let arguments = Self.names.map { "\"$DIR/$(printf '\($0.shell)')\"" }.joined(separator: " ")
        let environment = ["CKPT": checkpoint, "DIR": images]
        let given = try Self.shell("exec \"$CRNNCTL\" predict --checkpoint \"$CKPT\" --threads 1 " + arguments, environment: environment)
        let listed = try Self.shell("exec \"$CRNNCTL\" predict --checkpoint \"$CKPT\" --threads 1 --dir \"$DIR\"", environment: environment)
        for output in [given, listed] {
            #expect(output.status == 0, "every file read: \(output.stderr)")
            let lines = output.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            #expect(lines.map { String($0.split(separator: "\t", omittingEmptySubsequences: false)[0]) }
                    == Self.names.map { images + "/" + $0.printed }, "\(output.stdout)")
            #expect(lines.allSatisfy { $0.split(separator: "\t", omittingEmptySubsequences: false).count == 3 })
        }
        let json = try Self.shell("exec \"$CRNNCTL\" predict --checkpoint \"$CKPT\" --json --dir \"$DIR\"", environment: environment)
        let entries = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(entries?.map { $0["path"] as? String } == Self.names.map { images + "/" + String(decoding: $0.bytes, as: UTF8.self) })
        #expect(try crnnctl(["predict", "--help"]).stdout.contains("\\xHH"))
    }
}
