import ArgumentParser
import Engine
import Foundation

struct CheckpointsConvert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Rewrite a checkpoint file as a model alone, stored as fp32 or fp16.",
        discussion: """
            Drops the optimizer state (a run started from the result begins with fresh optimizer \
            moments anyway) and stores the values as --storage says: fp32 exactly (a version 1 \
            file) or fp16 (a version 3 file, half the size; values are rounded to 11 significant \
            bits and are float32 again once loaded). No database needed.

            Example: crnnctl checkpoints convert run-best.crnn -o models/mine.crnn --storage fp16
            """)

    @Argument(help: ArgumentHelp("The checkpoint file to read.", valueName: "file"))
    var input: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the model (may be the input).", valueName: "file"))
    var output: String

    @Option(help: "How the model's values are stored: fp32 or fp16.")
    var storage: CheckpointStorage = .fp16

    func validate() throws {
        guard !output.isEmpty else { throw ValidationError("-o FILE must not be empty") }
    }

    func run() throws {
        var checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint.load(path: input)
        } catch {
            throw ValidationError("\(error)")
        }
        let before = (try? FileManager.default.attributesOfItem(atPath: input)[.size] as? Int) ?? nil
        checkpoint.training = nil
        checkpoint.storage = storage
        let bytes: [UInt8]
        do {
            bytes = try checkpoint.encoded()
        } catch {
            throw ValidationError("\(input): \(error)")
        }
        try writeCheckpointFile(bytes, to: output)
        print("wrote \(output): the model of \(input) (step \(checkpoint.step)), \(storage.rawValue), "
            + "\(bytes.count) bytes" + (before.map { " (was \($0))" } ?? ""))
    }
}
