// What both ends of a run derive from its stored config and alphabet: the model's shape, the
// data source, the optimiser, the codec. Coordinator and workers build these the same way, so a
// worker's arena always matches the parameter server's.
import Engine
import Store
import TextImages
import Wire

/// One run, resolved into the objects that train it.
public struct RunRecipe: Sendable {
    public enum Failure: Error, CustomStringConvertible {
        case badImageSize(run: Int64, reason: String)
        case validationTooLarge(run: Int64, bytes: Int)

        public var description: String {
            switch self {
            case .badImageSize(let run, let reason):
                return "run \(run): image size: \(reason)"
            case .validationTooLarge(let run, let bytes):
                return "run \(run): validation.size: the held-out lines would take \(bytes >> 20) MiB in the "
                    + "coordinator's memory (at most \(RunConfig.maxValidationBytes >> 20) MiB)"
            }
        }
    }

    public let run: Int64
    public let config: RunConfig
    public let charset: Charset
    public let modelConfig: ModelConfig

    /// - Parameter characters: the run's stored alphabet (class i = characters[i − 1]).
    public init(run: Int64, config: RunConfig, characters: [String]) throws {
        self.run = run
        self.config = config
        charset = try Charset(name: "run-\(run)", characters: characters)
        modelConfig = config.model.config(classes: charset.classCount)
        let length = sequenceLength
        guard ModelConfig.isValidWidth(length) else {
            throw Failure.badImageSize(run: run, reason: "the text axis must be a multiple of 4 and at least 16 pixels, got \(length)")
        }
        guard crossLength == 32 else {
            throw Failure.badImageSize(run: run, reason: "the models read lines 32 pixels across, got \(crossLength)")
        }
        // Configs stored before submit checked this must not take the coordinator down either.
        guard config.validationBytes <= RunConfig.maxValidationBytes else {
            throw Failure.validationTooLarge(run: run, bytes: config.validationBytes)
        }
    }

    /// Whether the run trains on a dataset (`DatasetSamples`: a folder or stored in PostgreSQL)
    /// rather than rendered samples.
    public var isDataset: Bool { config.data.isDataset }

    public var direction: TextDirection { config.direction }
    /// Pixels along the text (width of a horizontal line, height of a vertical one).
    public var sequenceLength: Int { config.direction == .vertical ? config.image.height : config.image.width }
    public var crossLength: Int { config.direction == .vertical ? config.image.width : config.image.height }
    public var floatsPerImage: Int { config.image.width * config.image.height }

    /// A model initialised from the run's seed (identical on every machine).
    public func makeModel(threads: Int) -> CRNNModel {
        CRNNModel(config: modelConfig, direction: direction, seed: UInt64(bitPattern: config.seed), threads: threads)
    }

    /// The renderer of the run's synthetic samples (one per thread). Dataset runs build one too
    /// (the worker's session holds it) but read their images with `DatasetSamples`.
    public func makeSource(fonts: FontSet) throws -> SyntheticSource {
        try SyntheticSource(
            charset: charset, fonts: fonts,
            preset: config.augmentation,
            direction: config.direction,
            width: config.image.width, height: config.image.height)
    }

    public func makeOptimizer(layout: ArenaLayout) -> any Optimizer {
        let o = config.optimizer
        switch o.type {
        case .sgd:
            return SGD(layout: layout, momentum: Float(o.momentum ?? 0), weightDecay: Float(o.weightDecay))
        case .adam:
            let betas = o.betas ?? [0.9, 0.999]
            return Adam(layout: layout, beta1: Float(betas.first ?? 0.9), beta2: Float(betas.last ?? 0.999),
                        eps: Float(o.eps ?? 1e-8), weightDecay: Float(o.weightDecay))
        case .adadelta:
            return Adadelta(layout: layout, rho: Float(o.rho ?? 0.9), eps: Float(o.eps ?? 1e-6),
                            weightDecay: Float(o.weightDecay))
        }
    }

    /// The learning-rate schedule, counted in (fractional) epochs.
    public var schedule: LearningRateSchedule {
        let s = config.schedule
        let decay: LearningRateSchedule.Decay
        switch s.type {
        case .constant: decay = .constant
        case .step: decay = .step(every: s.every ?? 30, gamma: Float(s.gamma ?? 0.1))
        case .cosine: decay = .cosine(epochs: Double(config.epochs), floor: Float(s.final ?? 0.01))
        }
        return LearningRateSchedule(baseRate: Float(config.optimizer.lr), decay: decay, warmupEpochs: s.warmup ?? 0)
    }

    /// The gradient codec named in the config.
    public func makeCodec() throws -> any GradientCodec {
        try GradientCodecs.make(config.gradients.codec, k: config.gradients.k ?? TopKCodec.defaultFraction)
    }

    /// The codec pulls' deltas travel in (nil: exact pulls).
    public func makePullCodec() throws -> (any GradientCodec)? {
        guard let pulls = config.pulls, let name = pulls.codec else { return nil }
        return try GradientCodecs.make(name, k: pulls.k ?? TopKCodec.defaultFraction)
    }

    /// Renders samples `indices` of the synthetic stream `seed` into `images`, returning labels.
    public static func render(_ source: SyntheticSource, seed: UInt64, indices: Range<UInt64>,
                              into images: UnsafeMutablePointer<Float>) -> [[Int]] {
        source.renderBatch(seed: seed, indices: indices, into: images).map { $0.map(Int.init) }
    }
}
