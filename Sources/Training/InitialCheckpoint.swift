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

    /// What `prepare` made: the file to store, and how the alphabet was mapped (nil: it was the same).
    public struct Prepared: Sendable {
        public let bytes: [UInt8]
        public let mapping: Mapping?
    }

    /// Characters an `init: {charset: map}` kept (with their trained rows), added (fresh rows)
    /// and dropped.
    public struct Mapping: Sendable, Equatable, CustomStringConvertible {
        public let kept: Int, added: Int, dropped: Int
        public var description: String {
            "charset mapped: \(kept) characters keep their trained output rows, \(added) new ones start fresh, \(dropped) dropped"
        }
    }

    /// Checks checkpoint `bytes` (from `source`, for messages) against `config` and returns the
    /// bytes to store: the same model at step 0 with no metrics and no training state (the new
    /// run's optimiser moments, schedule, samples and validation start afresh), a version 1 file.
    /// With `init: {charset: map}` the alphabets may differ: see `CharsetMapping.map`.
    /// - Parameter characters: the run's alphabet (nil: the config's charset preset).
    /// - Throws: `CheckpointError` for a damaged file, `Mismatch` for one that does not fit.
    public static func prepare(_ bytes: [UInt8], source: String, config: RunConfig,
                               characters: [String]? = nil) throws -> Prepared {
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
        let mapping = config.initialCharset ?? .same
        guard checkpoint.charset == alphabet || mapping == .map else {
            let extra = Set(alphabet).subtracting(checkpoint.charset).count
            let missing = Set(checkpoint.charset).subtracting(alphabet).count
            throw refuse("its charset has \(checkpoint.charset.count) characters, the run's \(alphabet.count) "
                         + "(\(extra) only in the run's, \(missing) only in the checkpoint's; the order must match too; "
                         + "init: {charset: map} keeps the shared characters' rows and starts new ones fresh) (charset)")
        }
        guard checkpoint.config == config.model.config(classes: checkpoint.charset.count + 1) else {
            throw refuse("its layout differs from the \(config.model.rawValue) preset's (model)")
        }
        guard checkpoint.parameters.allSatisfy(\.isFinite), checkpoint.buffers.allSatisfy(\.isFinite) else {
            throw refuse("its parameters hold NaN or ∞: a run cannot learn from them")
        }
        var mapped: Mapping?
        if checkpoint.charset != alphabet {
            mapped = remap(&checkpoint, to: alphabet, config: config)
        }
        checkpoint.step = 0
        checkpoint.metrics = [:]
        checkpoint.training = nil
        return Prepared(bytes: try checkpoint.encoded(), mapping: mapped)
    }

    /// Gives `checkpoint` the output layer of `alphabet`: rows (weight and bias) of the
    /// characters both have are the checkpoint's, the blank's too; the others are initialised as
    /// a new run of `config` initialises them. Every other tensor is kept as it is.
    static func remap(_ checkpoint: inout Checkpoint, to alphabet: [String], config: RunConfig) -> Mapping {
        let newConfig = config.model.config(classes: alphabet.count + 1)
        let fresh = CRNNModel(config: newConfig, direction: checkpoint.direction, seed: UInt64(bitPattern: config.seed))
        let oldLayout = ArenaLayout(checkpoint.config.parameterShapes)
        let newLayout = fresh.parameters.layout
        var parameters = fresh.parameters.values
        let oldRow = Dictionary(checkpoint.charset.enumerated().map { ($0.element, $0.offset + 1) }) { first, _ in first }
        // New class c (0 = blank) takes old class rows[c], when there is one.
        let rows: [Int?] = [0] + alphabet.map { oldRow[$0] }
        for slice in newLayout.slices {
            guard let old = oldLayout[slice.name] else { continue }
            switch slice.name {
            case "fc.weight":
                let width = slice.shape[1]
                for (c, r) in rows.enumerated() {
                    guard let r else { continue }
                    for k in 0..<width { parameters[slice.offset + c * width + k] = checkpoint.parameters[old.offset + r * width + k] }
                }
            case "fc.bias":
                for (c, r) in rows.enumerated() {
                    if let r { parameters[slice.offset + c] = checkpoint.parameters[old.offset + r] }
                }
            default:
                for k in 0..<slice.count { parameters[slice.offset + k] = checkpoint.parameters[old.offset + k] }
            }
        }
        let kept = rows.dropFirst().compactMap { $0 }.count
        let mapping = Mapping(kept: kept, added: alphabet.count - kept, dropped: Set(checkpoint.charset).subtracting(alphabet).count)
        checkpoint.config = newConfig
        checkpoint.charset = alphabet
        checkpoint.parameters = parameters
        return mapping
    }
}
