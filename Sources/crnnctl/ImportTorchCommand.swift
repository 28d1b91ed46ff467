import ArgumentParser
import CommandLineSupport
import Engine
import Foundation
import ModelExchange
import TextImages
import Vocabulary

/// `crnnctl import-torch`: a PyTorch state dict of a preset's layout as a checkpoint.
struct ImportTorchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-torch",
        abstract: "Turn a PyTorch state dict (.pth) of a preset's layout into a checkpoint.",
        discussion: """
            Reads the file without PyTorch (torch.save's zip format, PyTorch 1.6 or newer; float32, \
            float16 or float64 tensors). The names are the PyTorch twin's (tools/crnn_torch.py): \
            conv1 … conv7, bnN, rnn1, [emb], rnn2, fc; the `seed` preset is the original project's \
            horizontal layout. Without --preset the layout (widths, batch norms, GRU or LSTM head, \
            hidden size, classes) is read off the tensors. A training checkpoint holding the state dict under "state_dict" or \
            "model" is looked into, and a "module." prefix (DataParallel) is dropped. Every \
            tensor of the layout must be there with its shape, and nothing else (num_batches_tracked \
            aside): a missing, extra or misshapen tensor is an error that names it.

            The charset gives the classes (its characters + the blank, class 0): a preset name or a \
            file, one character per line.

            Exit status: 0 written, 2 the file cannot be used, 64 usage error.

            Examples:
              crnnctl import-torch crnn.pth --preset seed --charset chars.txt -o crnn.crnn
              crnnctl import-torch mine.pth --charset digits --length 128 -o mine.crnn
            """)

    @Argument(help: ArgumentHelp("The state-dict file.", valueName: "file"))
    var input: String

    @Option(help: "The layout the file must have: \(ModelPreset.allCases.map(\.rawValue).joined(separator: ", ")). Without it, the layout is read off the tensors' shapes.")
    var preset: String?

    @Option(help: "A charset preset name or a charset file (one character per line).")
    var charset: String

    @Option(help: "horizontal or vertical.")
    var direction: String = "horizontal"

    @Option(help: "The line length the model was trained at (pixels along the line); predict pads shorter lines to it.")
    var length = 160

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the checkpoint.", valueName: "file"))
    var output: String

    func validate() throws {
        if let preset, ModelPreset(rawValue: preset) == nil {
            throw ValidationError("--preset \(preset): expected one of \(ModelPreset.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard TextDirection(rawValue: direction) != nil else { throw ValidationError("--direction must be horizontal or vertical") }
        guard ModelConfig.isValidWidth(length) else { throw ValidationError("--length must be a multiple of 4, at least 16") }
        guard !output.isEmpty else { throw ValidationError("-o FILE must not be empty") }
    }

    func run() throws {
        let characters: [String]
        do { characters = try Charset.named(charset).characters } catch {
            throw ValidationError("--charset \(charset): \(error)")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: input)) } catch {
            printError("error: \(input): \(error.localizedDescription)")
            throw ExitCode(2)
        }
        let checkpoint: Checkpoint
        do {
            let tensors = try TorchStateDict.read(Array(data))
            let config = try preset.map { ModelPreset(rawValue: $0)!.config(classes: characters.count + 1) }
                ?? TorchImport.inferredConfig(tensors)
            // A layout read off the shapes is named after the preset it equals, if any.
            let name = preset ?? ModelPreset.allCases.first { $0.config(classes: config.classes) == config }?.rawValue
            checkpoint = try TorchImport.checkpoint(tensors, preset: name, config: config, charset: characters,
                                                    direction: TextDirection(rawValue: direction)!, imageWidth: length)
        } catch let error as TorchStateDictError {
            printError("error: \(input): \(error)")
            throw ExitCode(2)
        }
        try writeCheckpointFile(try checkpoint.encoded(), to: output)
        print("wrote \(output): \(checkpoint.preset ?? "custom layout") \(direction), \(checkpoint.config.classes) classes, \(checkpoint.parameters.count) parameters from \(input)")
    }
}
