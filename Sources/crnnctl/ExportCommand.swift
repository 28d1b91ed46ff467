import ArgumentParser
import CommandLineSupport
import Engine
import Foundation
import ModelExchange

/// `crnnctl export`: a checkpoint's model as ONNX (or as a PyTorch state dict).
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a checkpoint's model as ONNX or as a PyTorch state dict.",
        discussion: """
            --format onnx: the eval-mode network (opset \(ONNXExport.opset)) with a dynamic batch and \
            line length. Input "image" [batch, 1, 32, width] (vertical models: [batch, 1, height, 32]), \
            grey values scaled to [-1, 1] (v / 127.5 - 1); outputs "logits" and "log_probs" [time, \
            batch, classes], time = length / 4 - 3, class 0 the CTC blank. The metadata properties \
            hold the charset (a JSON array: class i + 1 is element i), the direction and the \
            preprocessing. tools/onnx-check compares it with `crnnctl predict`.

            --format torch: a state dict that torch.load reads (zip of pickle and tensors), named as \
            the PyTorch twin names them (tools/crnn_torch.py); `crnnctl import-torch` reads it back.

            Exit status: 0 written, 2 the checkpoint cannot be used, 64 usage error.

            Examples:
              crnnctl export --model gb2312-horizontal --format onnx -o gb2312-horizontal.onnx
              crnnctl export --checkpoint run-best.crnn --format torch -o run-best.pth
            """)

    @Option(help: "A checkpoint file (.crnn).")
    var checkpoint: String?

    @Option(help: "A shipped model by name (models/NAME.crnn).")
    var model: String?

    @Option(help: "What to write: an ONNX model or a PyTorch state dict.")
    var format: ExportFormat

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the model.", valueName: "file"))
    var output: String

    func validate() throws {
        if (checkpoint == nil) == (model == nil) { throw ValidationError("give either --checkpoint FILE or --model NAME") }
        guard !output.isEmpty else { throw ValidationError("-o FILE must not be empty") }
    }

    func run() throws {
        let path = try model.map(shippedModelPath) ?? checkpoint!
        let loaded = try loadCheckpoint(path)
        let name = model ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let bytes: Data
        switch format {
        case .onnx:
            guard !loaded.charset.isEmpty else {
                printError("error: \(path): the checkpoint has no charset; an exported model could not turn classes into text")
                throw ExitCode(2)
            }
            bytes = try ONNXExport.model(of: loaded, modelName: name)
        case .torch:
            bytes = Data(try TorchStateDict.archive(NamedTensors(checkpoint: loaded), name: name))
        }
        do {
            try bytes.write(to: URL(fileURLWithPath: output), options: .atomic)
        } catch {
            throw ValidationError("cannot write \(output): \(error.localizedDescription)")
        }
        print("wrote \(output): \(format.rawValue), \(loaded.preset ?? "custom") \(loaded.direction.rawValue), "
            + "\(loaded.config.classes) classes, \(bytes.count) bytes")
    }
}

/// `export --format`.
enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
    case onnx, torch
}
