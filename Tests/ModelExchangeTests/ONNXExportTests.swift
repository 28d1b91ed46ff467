// The ONNX export: the graph's declared interface and metadata (read back with the generated
// message code), and onnxruntime against our engine for every preset and both directions.
import Engine
import Foundation
import Inference
import Testing
import TextImages
import Vocabulary
@testable import ModelExchange

/// onnxruntime in tools/.venv (tools/setup-venv --check; `make test` installs it and sets
/// CRNN_REQUIRE_ONNXRUNTIME=1 so that a missing runtime fails instead of skipping).
enum ONNXRuntime {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let python = root + "/tools/.venv/bin/python"
    static let required = ProcessInfo.processInfo.environment["CRNN_REQUIRE_ONNXRUNTIME"] == "1"
    static let available: Bool = {
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        return (try? run([python, "-c", "import onnxruntime"]).status) == 0
    }()

    /// Runs a command; its exit status and everything it printed.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}

@Suite struct ONNXExportTests {
    @Test func theGraphDeclaresDynamicAxesAndCarriesTheCharset() throws {
        let checkpoint = randomCheckpoint(.tiny, direction: .vertical, seed: 3)
        let bytes = try ONNXExport.model(of: checkpoint, modelName: "tiny-v")
        let model = try Onnx_ModelProto(serializedBytes: bytes)
        #expect(model.opsetImport.map(\.version) == [17])
        func dims(_ info: Onnx_ValueInfoProto) -> [String] {
            info.type.tensorType.shape.dim.map { $0.dimParam.isEmpty ? "\($0.dimValue)" : $0.dimParam }
        }
        #expect(model.graph.input.map(\.name) == ["image"])
        #expect(dims(model.graph.input[0]) == ["batch", "1", "height", "32"])
        #expect(model.graph.output.map(\.name) == ["logits", "log_probs"])
        #expect(dims(model.graph.output[1]) == ["time", "batch", "11"])
        let metadata = Dictionary(uniqueKeysWithValues: model.metadataProps.map { ($0.key, $0.value) })
        #expect(try JSONDecoder().decode([String].self, from: Data(metadata["charset"]!.utf8)) == checkpoint.charset)
        #expect(metadata["direction"] == "vertical" && metadata["blank_index"] == "0")
        let grus = model.graph.node.filter { $0.opType == "GRU" }
        #expect(grus.count == 2)
        #expect(grus.allSatisfy { $0.attribute.contains { $0.name == "linear_before_reset" && $0.i == 1 } })
        // The second GRU starts from the first one's final state.
        #expect(grus[1].input.last == grus[0].output[1])
    }

    @Test func gateBlocksMoveFromPyTorchsOrderToONNXs() {
        // Blocks of two values: GRU r z n → z r n; LSTM i f g o → i o f g.
        #expect(reorderGateBlocks([1, 1, 2, 2, 3, 3], head: .gru, blockSize: 2) == [2, 2, 1, 1, 3, 3])
        #expect(reorderGateBlocks([1, 2, 3, 4], head: .lstm, blockSize: 1) == [1, 4, 2, 3])
    }

    @Test(.enabled(if: ONNXRuntime.available || ONNXRuntime.required),
          arguments: [ModelPreset.tiny, .small, .paper, .seed], [TextDirection.horizontal, .vertical])
    func onnxRuntimeAgreesWithOurEngine(preset: ModelPreset, direction: TextDirection) throws {
        guard ONNXRuntime.available else {
            Issue.record("onnxruntime is not installed in tools/.venv: run tools/setup-venv --check")
            return
        }
        let checkpoint = randomCheckpoint(preset, direction: direction, seed: 11)
        let recognizer = try Recognizer(checkpoint: checkpoint)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("onnx-\(preset)-\(direction)-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // 20 images of different lengths along the line (some not multiples of 4, some shorter
        // than the trained length: predict's fitting pads them), pixels from a seed.
        var generator = SplitMix64(seed: 99)
        var index = "n\tpath\ttext\n"
        var texts: [String] = []
        for n in 0..<20 {
            let length = 20 + n * 17
            var image = direction == .vertical ? GreyImage(width: 32, height: length) : GreyImage(width: length, height: 32)
            for i in image.pixels.indices { image.pixels[i] = UInt8(truncatingIfNeeded: generator.next() >> 56) }
            let trace = try recognizer.trace(image)
            let text = try recognizer.read([image], beamWidth: 1)[0].text
            texts.append(text)
            let stem = String(format: "%04d", n)
            try NumpyArray.write(trace.input, shape: trace.inputShape, to: "\(folder)/\(stem).input.npy")
            try NumpyArray.write(trace.logits, shape: trace.logitsShape, to: "\(folder)/\(stem).logits.npy")
            index += "\(stem)\trandom-\(length)\t\(text)\n"
        }
        try index.write(toFile: "\(folder)/index.tsv", atomically: true, encoding: .utf8)
        try Data(try ONNXExport.model(of: checkpoint, modelName: "\(preset)")).write(to: URL(fileURLWithPath: "\(folder)/model.onnx"))
        let result = try ONNXRuntime.run([ONNXRuntime.python, ONNXRuntime.root + "/tools/onnx/check.py",
                                          "\(folder)/model.onnx", "--dumped", folder])
        print("\(preset) \(direction): " + (result.output.split(separator: "\n").last.map(String.init) ?? ""))
        #expect(result.status == 0, "onnx-check:\n\(result.output)")
        #expect(result.output.contains("20 of 20 images agree"))
        // Identical texts mean something only if there is text: random weights still read digits.
        #expect(texts.filter { $0.count >= 2 }.count >= 10, "texts: \(texts)")
    }
}
