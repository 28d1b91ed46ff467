import Foundation
import Testing
import Store
import TestSupport

/// `export` and `import-torch` as a user runs them: a shipped model out to PyTorch and back reads
/// the same text; unusable files give exit status 2 and a message naming the file and the tensor.
@Suite struct ExportCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test func aModelGoesOutToPyTorchAndComesBackReadingTheSame() throws {
        let folder = try temporaryFolder("export")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pth = folder + "/digits.pth", back = folder + "/digits-back.crnn", onnx = folder + "/digits.onnx"
        let exported = try crnnctl(["export", "--model", "digits", "--format", "torch", "-o", pth])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stdout.contains("wrote \(pth): torch"))
        let imported = try crnnctl(["import-torch", pth, "--charset", "digits", "--length", "128", "-o", back])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("mini horizontal, 11 classes"), "the layout read off the shapes: \(imported.stdout)")
        let images = (1...5).map { String(format: "\(Self.root)/data/foreign/digits/%04d.png", $0) }
        let original = try crnnctl(["predict", "--model", "digits", "--threads", "1"] + images)
        let again = try crnnctl(["predict", "--checkpoint", back, "--threads", "1"] + images)
        #expect(original.status == 0 && again.status == 0)
        #expect(again.stdout == original.stdout, "texts and confidences after the round trip")

        let written = try crnnctl(["export", "--checkpoint", back, "--format", "onnx", "-o", onnx])
        #expect(written.status == 0, "\(written.stderr)")
        let size = (try FileManager.default.attributesOfItem(atPath: onnx)[.size] as? Int) ?? 0
        #expect(size > 4 * 190_000, "an ONNX file holding the float32 weights: \(size) bytes")

        // tools/onnx-check as a user runs it: predict --dump, then onnxruntime on the same inputs.
        let venv = Self.root + "/tools/.venv/bin/python"
        if FileManager.default.isExecutableFile(atPath: venv) || ProcessInfo.processInfo.environment["CRNN_REQUIRE_ONNXRUNTIME"] == "1" {
            let check = try CommandRunner.run([Self.root + "/tools/onnx-check", onnx, "--checkpoint", back,
                                               "--crnnctl", BuiltProducts.path("crnnctl")] + images)
            #expect(check.status == 0, "\(check.text)")
            #expect(check.text.contains("onnx-check: 5 of 5 images agree"), "\(check.text)")
        }
    }

    @Test func unusableFilesAreRefusedByName() throws {
        let folder = try temporaryFolder("import-torch")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fixtures = Self.root + "/Tests/ModelExchangeTests/Fixtures"
        // Another architecture than the one asked for: the first tensor that does not fit is named.
        let wrong = try crnnctl(["import-torch", fixtures + "/paper_tiny.pth", "--preset", "seed", "--charset", "digits", "-o", folder + "/x.crnn"])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("paper_tiny.pth") && wrong.stderr.contains("tensor emb.weight"), "\(wrong.stderr)")
        // A truncated file.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: fixtures + "/seed_tiny.pth"))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: folder + "/half.pth"))
        let truncated = try crnnctl(["import-torch", folder + "/half.pth", "--charset", "digits", "-o", folder + "/x.crnn"])
        #expect(truncated.status == 2 && truncated.stderr.contains("half.pth"), "\(truncated.stderr)")
        // A charset that does not match the output layer.
        let charset = try crnnctl(["import-torch", fixtures + "/seed_tiny.pth", "--charset", "ascii", "-o", folder + "/x.crnn"])
        #expect(charset.status == 2 && charset.stderr.contains("tensor fc.weight"), "\(charset.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/x.crnn"), "nothing written on an error")
        // A corrupt checkpoint cannot be exported.
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: folder + "/bad.crnn"))
        let bad = try crnnctl(["export", "--checkpoint", folder + "/bad.crnn", "--format", "onnx", "-o", folder + "/bad.onnx"])
        #expect(bad.status == 2 && bad.stderr.contains("bad.crnn"), "\(bad.stderr)")
    }
}
