// `init:` in a run config: a trained model's parameters as the run's starting point. Checked at
// submit against the run (same layout, alphabet and direction), then stored with the run as its
// latest checkpoint at step 0, so the coordinator starts from it the way it resumes any run.
import Engine
import Store
import TextImages

public enum InitialCheckpoint {
    /// Why a checkpoint cannot start a run; the message names `init` and the mismatch.
    public struct Mismatch: Error, CustomStringConvertible {
        public let source: String
        public let reason: String
        public var description: String { "init: \(source): \(reason)" }
    }

    /// Checks checkpoint `bytes` (from `source`, for messages) against `config` and returns the
    /// bytes to store: the same model at step 0 with no metrics and no training state (the new
    /// run's optimiser moments, schedule, samples and validation start afresh), a version 1 file.
    /// - Parameter characters: the run's alphabet (nil: the config's charset preset).
    /// - Throws: `CheckpointError` for a damaged file, `Mismatch` for one that does not fit.
    public static func prepare(_ bytes: [UInt8], source: String, config: RunConfig,
                               characters: [String]? = nil) throws -> [UInt8] {
        var checkpoint = try Checkpoint.decode(bytes, source: source)
        func refuse(_ reason: String) -> Mismatch { Mismatch(source: source, reason: reason) }
        guard checkpoint.preset == config.model.rawValue else {
            throw refuse("it is a \(checkpoint.preset ?? "custom") model; the run trains \(config.model.rawValue) (model)")
        }
        let direction: Engine.TextDirection = config.direction == .vertical ? .vertical : .horizontal
        guard checkpoint.direction == direction else {
            throw refuse("it reads \(checkpoint.direction.rawValue) text; the run trains \(config.direction.rawValue) (direction)")
        }
        let alphabet: [String]
        if let given = characters ?? config.fileCharacters {
            alphabet = given
        } else if case .preset(let preset) = config.charset {
            alphabet = try Charset.preset(preset.rawValue).characters
        } else {
            throw refuse("the run's charset could not be resolved")
        }
        guard checkpoint.charset == alphabet else {
            let extra = Set(alphabet).subtracting(checkpoint.charset).count
            let missing = Set(checkpoint.charset).subtracting(alphabet).count
            throw refuse("its charset has \(checkpoint.charset.count) characters, the run's \(alphabet.count) "
                         + "(\(extra) only in the run's, \(missing) only in the checkpoint's; the order must match too) (charset)")
        }
        guard checkpoint.config == config.model.config(classes: alphabet.count + 1) else {
            throw refuse("its layout differs from the \(config.model.rawValue) preset's (model)")
        }
        guard checkpoint.parameters.allSatisfy(\.isFinite), checkpoint.buffers.allSatisfy(\.isFinite) else {
            throw refuse("its parameters hold NaN or ∞: a run cannot learn from them")
        }
        checkpoint.step = 0
        checkpoint.metrics = [:]
        checkpoint.training = nil
        return try checkpoint.encoded()
    }
}
