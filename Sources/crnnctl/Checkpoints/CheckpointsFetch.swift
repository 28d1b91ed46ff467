import ArgumentParser
import CommandLineSupport
import Engine
import Foundation
import Store

struct CheckpointsFetch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Write a checkpoint to a file, byte for byte, after verifying its SHA-256.",
        discussion: """
            A run's checkpoints hold the optimizer state the coordinator resumes from (format \
            version 2); predict and eval read them as they are. --model-only writes the model \
            alone: a version 1 file, a third of the size with Adam, readable by older builds \
            (how the files in models/ are made).

            Example: crnnctl checkpoints fetch 7 --best -o vertical.crnn
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var target: RunArgument

    @Flag(help: "The checkpoint with the best validation accuracy.")
    var best = false

    @Flag(help: "The newest checkpoint.")
    var latest = false

    @Option(help: "The checkpoint taken at this step.")
    var step: Int64?

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write it.", valueName: "file"))
    var output: String

    @Flag(help: "Write the model without the optimizer state (a version 1 file).")
    var modelOnly = false

    func validate() throws {
        let chosen = [best, latest, step != nil].filter { $0 }.count
        guard chosen == 1 else {
            throw ValidationError("choose exactly one of --best, --latest, --step N")
        }
        if let step, step < 0 { throw ValidationError("--step must be ≥ 0, got \(step)") }
        guard !output.isEmpty else { throw ValidationError("-o FILE must not be empty") }
    }

    func run() throws {
        let store = CheckpointStore(connection: try database.connect(applicationName: "crnnctl"))
        let selector: CheckpointStore.Selector = best ? .best : latest ? .latest : .step(step ?? 0)
        let record = try store.find(run: target.id, selector)
        var bytes = try store.fetch(record)
        if modelOnly {
            var checkpoint = try Checkpoint.decode(bytes, source: "checkpoint \(record.id) of run \(target.id)")
            checkpoint.training = nil
            bytes = try checkpoint.encoded()
        }
        // Write beside the target and rename, so an interrupted fetch never leaves half a file under its name.
        let destination = URL(fileURLWithPath: output)
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).part-\(getpid())")
        do {
            try Data(bytes).write(to: temporary)
            // rename(2) replaces an existing file atomically (Foundation's replaceItemAt on Linux
            // removed the old file and then failed: a second `make demo` lost its checkpoint).
            guard rename(temporary.path, destination.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: String(cString: strerror(errno))])
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ValidationError("cannot write \(output): \(error.localizedDescription)")
        }
        print("wrote \(output): checkpoint \(record.id) of run \(target.id), step \(record.step), "
            + "\(bytes.count) bytes\(modelOnly ? " (the model only)" : ""), sha256 \(record.sha256) (verified)")
    }
}
