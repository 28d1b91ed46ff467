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
            alone: a version 1 file, a third of the size with Adam, readable by older builds; \
            --model-only --storage fp16 halves that again (a version 3 file, how the files in \
            models/ are made).

            Example: crnnctl checkpoints fetch 7 --best -o vertical.crnn
            """)

    @OptionGroup var database: DatabaseOptions
    @Argument(help: ArgumentHelp("The run id (as printed by submit and runs).", valueName: "run"))
    var runID: Int64?

    @Option(help: ArgumentHelp("The best trial's run of this experiment instead of RUN (with --best).", valueName: "experiment"))
    var experiment: Int64?

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

    @Option(help: "How the model's values are stored: fp32 (exact) or fp16 (half the size; needs --model-only).")
    var storage: CheckpointStorage = .fp32

    func validate() throws {
        switch (runID, experiment) {
        case (nil, nil): throw ValidationError("give a RUN, or --experiment N --best")
        case (.some, .some): throw ValidationError("give either a RUN or --experiment N, not both")
        case (let run?, nil) where run <= 0: throw ValidationError("RUN must be a positive run id, got \(run)")
        case (nil, let experiment?) where experiment <= 0:
            throw ValidationError("--experiment must be a positive experiment id, got \(experiment)")
        case (nil, .some) where !best: throw ValidationError("--experiment picks the best trial: add --best")
        default: break
        }
        let chosen = [best, latest, step != nil].filter { $0 }.count
        guard chosen == 1 else {
            throw ValidationError("choose exactly one of --best, --latest, --step N")
        }
        if let step, step < 0 { throw ValidationError("--step must be ≥ 0, got \(step)") }
        guard !output.isEmpty else { throw ValidationError("-o FILE must not be empty") }
        if storage == .fp16 && !modelOnly {
            throw ValidationError("--storage fp16 stores a model alone: add --model-only (the optimizer state stays fp32)")
        }
    }

    func run() throws {
        let connection = try database.connect(applicationName: "crnnctl")
        let store = CheckpointStore(connection: connection)
        var target = runID ?? 0
        if let experiment {
            do {
                guard let best = try ExperimentStore(connection: connection).bestRun(experiment) else {
                    throw ValidationError("experiment \(experiment) has no validated trial yet")
                }
                target = best
            } catch let failure as ExperimentStore.Failure {
                throw ValidationError("\(failure)")
            }
        }
        let selector: CheckpointStore.Selector = best ? .best : latest ? .latest : .step(step ?? 0)
        let record = try store.find(run: target, selector)
        var bytes = try store.fetch(record)
        if modelOnly {
            var checkpoint = try Checkpoint.decode(bytes, source: "checkpoint \(record.id) of run \(target)")
            checkpoint.training = nil
            checkpoint.storage = storage
            bytes = try checkpoint.encoded()
        }
        try writeCheckpointFile(bytes, to: output)
        let what = modelOnly ? " (the model only\(storage == .fp16 ? ", fp16" : ""))" : ""
        print("wrote \(output): checkpoint \(record.id) of run \(target)"
            + (experiment.map { " (the best trial of experiment \($0))" } ?? "") + ", step \(record.step), "
            + "\(bytes.count) bytes\(what), sha256 \(record.sha256) (verified)")
    }
}
