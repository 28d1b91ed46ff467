/// Everything a training run needs to know, parsed from a YAML file (`RunConfigParser`) and stored
/// in `runs.hyperparameters` as JSON with every default filled in.
///
/// The JSON form uses the YAML's snake_case keys, so SQL reads it the way the file was written:
/// `hyperparameters->'optimizer'->>'lr'`. Only `model`, `charset` and `data` have no default.
public struct RunConfig: Codable, Equatable, Sendable {
    public struct ImageSize: Codable, Equatable, Sendable {
        public var height: Int
        public var width: Int
        public init(height: Int, width: Int) { self.height = height; self.width = width }
        /// 32×512 for horizontal text, 512×32 for vertical (upright characters).
        public static func `default`(for direction: TextDirection) -> ImageSize {
            direction == .horizontal ? ImageSize(height: 32, width: 512) : ImageSize(height: 512, width: 32)
        }
    }

    public struct Optimizer: Codable, Equatable, Sendable {
        public var type: OptimizerKind
        public var lr: Double
        /// SGD only.
        public var momentum: Double?
        public var weightDecay: Double
        /// Adam only: (β1, β2).
        public var betas: [Double]?
        /// Adam and Adadelta.
        public var eps: Double?
        /// Adadelta only.
        public var rho: Double?

        /// PyTorch's defaults for `kind`, with the original recipe's SGD momentum.
        public static func defaults(_ kind: OptimizerKind) -> Optimizer {
            switch kind {
            case .sgd: return Optimizer(type: .sgd, lr: 0.01, momentum: 0.9, weightDecay: 0)
            case .adam: return Optimizer(type: .adam, lr: 0.001, weightDecay: 0, betas: [0.9, 0.999], eps: 1e-8)
            case .adadelta: return Optimizer(type: .adadelta, lr: 1.0, weightDecay: 0, eps: 1e-6, rho: 0.9)
            }
        }

        public init(type: OptimizerKind, lr: Double, momentum: Double? = nil, weightDecay: Double,
                    betas: [Double]? = nil, eps: Double? = nil, rho: Double? = nil) {
            self.type = type; self.lr = lr; self.momentum = momentum; self.weightDecay = weightDecay
            self.betas = betas; self.eps = eps; self.rho = rho
        }
    }

    /// Learning-rate schedule, in epochs. `step`: lr × gamma every `every` epochs (the original:
    /// ×0.1 / 30); `cosine`: half a cosine from lr to `final` × lr at the last epoch. Any type may
    /// start with `warmup` epochs of linear warm-up.
    public struct Schedule: Codable, Equatable, Sendable {
        public enum Kind: String, Codable, CaseIterable, Sendable { case constant, step, cosine }
        public var type: Kind
        public var every: Int?
        public var gamma: Double?
        /// Epochs (fractional) of linear warm-up; nil = none.
        public var warmup: Double?
        /// `cosine` only: the last learning rate as a fraction of `lr`.
        public var final: Double?
        public static let constant = Schedule(type: .constant)
        public init(type: Kind, every: Int? = nil, gamma: Double? = nil, warmup: Double? = nil, final: Double? = nil) {
            self.type = type; self.every = every; self.gamma = gamma; self.warmup = warmup; self.final = final
        }
    }

    public struct Gradients: Codable, Equatable, Sendable {
        public var codec: GradientCodecName
        /// Fraction of values kept by `topk+fp16+zstd` (the rest stays in the error-feedback residual).
        public var k: Double?
        public init(codec: GradientCodecName, k: Double? = nil) { self.codec = codec; self.k = k }
    }

    /// How workers pull: `exact` (the whole arena, lossless, every time) or a delta codec: the
    /// change since an exact anchor the worker holds, encoded lossily (see docs/protocol.md).
    public struct Pulls: Codable, Equatable, Sendable {
        /// nil: exact pulls.
        public var codec: GradientCodecName?
        /// Fraction of the change a top-k codec sends.
        public var k: Double?
        /// The server takes a new exact anchor once its version is this many updates past the
        /// anchor's; each worker then pulls the anchor whole once (the periodic exact resync).
        public var resyncEvery: Int
        public init(codec: GradientCodecName? = nil, k: Double? = nil, resyncEvery: Int = Pulls.defaultResyncEvery) {
            self.codec = codec; self.k = k; self.resyncEvery = resyncEvery
        }
        public static let defaultResyncEvery = 1000
        /// Lossless whole-arena pulls.
        public static let exact = Pulls()
        public var isExact: Bool { codec == nil }
    }

    public struct Staleness: Codable, Equatable, Sendable {
        public var bound: Int
        public var policy: StalenessPolicy
        public init(bound: Int, policy: StalenessPolicy) { self.bound = bound; self.policy = policy }
    }

    /// Where a run's parameters start: a checkpoint file (read at submit time and stored with the
    /// run) or a checkpoint of an earlier run. The model, charset and direction must match.
    public enum Initialization: Codable, Equatable, Sendable {
        /// `init: {checkpoint: FILE}`; `path` is absolute after parsing.
        case file(path: String)
        /// `init: {run: N, checkpoint: best | latest}`.
        case run(id: Int64, checkpoint: RunCheckpoint)

        public enum RunCheckpoint: String, Codable, CaseIterable, Sendable { case best, latest }
    }

    public struct Validation: Codable, Equatable, Sendable {
        /// Held-out samples, rendered from `seed` so every evaluation sees the same set.
        public var size: Int
        /// Evaluate every this many parameter updates.
        public var every: Int
        public var seed: Int64
        public init(size: Int, every: Int, seed: Int64) { self.size = size; self.every = every; self.seed = seed }
    }

    public struct Checkpoints: Codable, Equatable, Sendable {
        /// Keep the k best by validation accuracy.
        public var best: Int
        /// Keep the newest checkpoint as well.
        public var keepLatest: Bool
        public init(best: Int, keepLatest: Bool) { self.best = best; self.keepLatest = keepLatest }
    }

    public var name: String?
    public var model: ModelPreset
    public var charset: CharsetSource
    public var direction: TextDirection
    public var image: ImageSize
    public var augmentation: AugmentationPreset
    public var data: DataSource
    public var epochs: Int
    /// Samples per shard, the unit a worker claims.
    public var shardSize: Int
    public var batchSize: Int
    public var optimizer: Optimizer
    public var schedule: Schedule
    public var gradients: Gradients
    /// nil (configs stored before pulls had a section): exact.
    public var pulls: Pulls? = nil
    public var staleness: Staleness
    /// `sync: false` (asynchronous, the default), `sync: true` (a barrier per step across every
    /// worker holding a lease) or `sync: N` (a barrier waiting for N workers).
    public var sync: UpdateMode
    public var validation: Validation
    public var checkpoints: Checkpoints
    public var seed: Int64
    /// Threads per worker; nil = every core.
    public var threads: Int?
    /// Attempts per shard before it is failed.
    public var maxAttempts: Int
    /// Start from a trained model's parameters instead of the seed's initialisation.
    public var initialization: Initialization? = nil
    /// `init: {charset: map}`: how the init checkpoint's alphabet may differ (nil: `same`).
    public var initialCharset: CharsetMapping? = nil

    /// The resolved alphabet when `charset` is a file (read at submit time, because the workers
    /// do not have the file). Not part of the JSON: it goes to `runs.charset`.
    public var fileCharacters: [String]? = nil

    enum CodingKeys: String, CodingKey {
        case name, model, charset, direction, image, augmentation, data, epochs, shardSize, batchSize
        case optimizer, schedule, gradients, pulls, staleness, sync, validation, checkpoints, seed, threads
        case maxAttempts, initialization = "init", initialCharset = "initCharset"
    }
}

extension RunConfig {
    /// The coordinator holds the validation set in memory as floats: at most 1 GiB of it, so
    /// that no config can make the coordinator (and every other run it serves) run out of memory.
    public static let maxValidationBytes = 1 << 30

    /// Bytes of `size` held-out lines of `image` as the coordinator stores them (Float pixels).
    public static func validationBytes(size: Int, image: ImageSize) -> Int {
        size * image.width * image.height * MemoryLayout<Float>.size
    }

    /// Bytes of this run's validation set in the coordinator.
    public var validationBytes: Int { Self.validationBytes(size: validation.size, image: image) }
}
