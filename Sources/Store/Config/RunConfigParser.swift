import Foundation
import Yams

/// Reads a run config: YAML text → `--set` overrides → validated `RunConfig` with defaults.
///
/// Every refusal is a `RunConfigError` naming the file, the dotted key and its line. Relative
/// paths (a charset file, a dataset folder) are resolved against the config file's folder, and
/// both are read here, at submit time: workers on other machines never see the submitter's files.
public struct RunConfigParser {
    /// Upper bounds that catch typos (an extra zero) long before they cost a day of compute.
    static let maxSamplesPerEpoch = 1_000_000_000
    static let maxEpochs = 10_000
    static let maxImageSide = 4096

    public init() {}

    /// Parses the file at `path`, applying `overrides` (`key.path=value`) first.
    /// - Throws: `RunConfigError` for an unreadable file, invalid YAML or any bad key or value.
    public func parse(file path: String, overrides: [String] = []) throws -> RunConfig {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(yaml: try readConfig(path), file: path, baseDirectory: directory, overrides: overrides)
    }

    /// Parses YAML `text`; `file` names it in errors, `baseDirectory` anchors relative paths.
    public func parse(yaml text: String, file: String, baseDirectory: String, overrides: [String] = []) throws -> RunConfig {
        let root = try compose(yaml: text, file: file, overrides: overrides)
        return try build(ConfigNode(node: root, path: "", file: file), baseDirectory: baseDirectory)
    }

    /// The text of the config file at `path`.
    func readConfig(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read the file (not UTF-8 text?)" : "no such file"
            throw RunConfigError(.unreadable, file: path, "cannot read config: \(reason)")
        }
    }

    /// The YAML document of `text`, bounded, with `overrides` applied.
    func compose(yaml text: String, file: String, overrides: [String]) throws -> Node {
        if let violation = YAMLBounds.violation(in: text) {
            throw RunConfigError(.invalidYAML, file: file, line: violation.line, violation.reason)
        }
        var root: Node
        do {
            guard let composed = try Yams.compose(yaml: text) else {
                throw RunConfigError(.missingKey, file: file, "the config is empty (model, charset and data are required)")
            }
            root = composed
        } catch let error as YamlError {
            throw RunConfigError(.invalidYAML, file: file, line: ConfigOverrides.line(of: error),
                                 "invalid YAML: \(ConfigOverrides.problem(of: error))")
        }
        for override in overrides {
            try ConfigOverrides.apply(override, to: &root, file: file)
        }
        return root
    }

    // MARK: the schema

    func build(_ root: ConfigNode, baseDirectory: String) throws -> RunConfig {
        var top = try ConfigMapping(root)
        let name = try top.optional("name").map(runName)
        let model = try top.required("model", hint: "one of " + ModelPreset.allCases.map(\.rawValue).joined(separator: ", ")).choice(ModelPreset.self)
        let charsetNode = try top.required("charset", hint: "a preset (digits, ascii, gb2312-l1, gb2312, full) or a file")
        let (charset, characters) = try CharsetFile.resolve(charsetNode, baseDirectory: baseDirectory)
        let direction = try top.optional("direction")?.choice(TextDirection.self) ?? .horizontal
        let image = try top.optional("image").map { try imageSize($0, direction: direction) } ?? .default(for: direction)
        let augmentation = try top.optional("augmentation")?.choice(AugmentationPreset.self) ?? .seed
        let data = try dataSource(try top.required("data", hint: "synthetic: {samples_per_epoch: N}, dataset: NAME or dataset: FOLDER"),
                                  baseDirectory: baseDirectory)
        let epochs = try top.optional("epochs")?.int(in: 1...Self.maxEpochs) ?? 1
        let shardSizeNode = top.optional("shard_size")
        let shardSize = try shardSizeNode?.int(in: 1...10_000_000) ?? 1024
        let batchSize = try top.optional("batch_size")?.int(in: 1...65536) ?? 64
        let optimizer = try top.optional("optimizer").map { try OptimizerSection.parse($0) } ?? .defaults(.sgd)
        let schedule = try top.optional("schedule").map { try OptimizerSection.schedule($0) } ?? .constant
        let gradients = try top.optional("gradients").map { try gradientSection($0) } ?? .init(codec: .fp32Zstd)
        let pulls = try top.optional("pulls").map { try pullSection($0) }
        let staleness = try top.optional("staleness").map { try stalenessSection($0) } ?? .init(bound: 8, policy: .downweight)
        let sync = try top.optional("sync").map { try syncMode($0) } ?? .asynchronous
        let seed = try top.optional("seed")?.int64() ?? 1
        let validation = try validationSection(top.optional("validation"), runSeed: seed, image: image)
        let checkpoints = try top.optional("checkpoints").map { try checkpointSection($0) } ?? .init(best: 3, keepLatest: true)
        let threadsNode = top.optional("threads")
        let threads = try threadsNode.flatMap { node -> Int? in
            (try? node.string()) == "auto" ? nil : try node.int(in: 1...1024)
        }
        let maxAttempts = try top.optional("max_attempts")?.int(in: 1...100) ?? 3
        let initialization = try top.optional("init").map { try initSection($0, baseDirectory: baseDirectory) }
        try top.reject("search", because: "a search section makes an experiment of several runs: `crnnctl submit` creates it")
        try top.finish()

        if batchSize > shardSize {
            throw top.owner.error(.invalidValue, "batch_size (\(batchSize)) must not exceed shard_size (\(shardSize))")
        }
        var perEpoch = data.sampleCount
        if case .mix(_, _, let samples) = data { perEpoch = samples }
        let shards = (perEpoch + shardSize - 1) / shardSize * epochs
        if shards > ShardPlan.maxShards {
            throw shardSizeNode.map { $0.error(.invalidValue, "makes \(shards) shards (more than \(ShardPlan.maxShards)): raise shard_size") }
                ?? top.owner.error(.invalidValue, "the run makes \(shards) shards (more than \(ShardPlan.maxShards)): set a larger shard_size")
        }
        var config = RunConfig(
            name: name, model: model, charset: charset, direction: direction, image: image,
            augmentation: augmentation, data: data, epochs: epochs, shardSize: shardSize, batchSize: batchSize,
            optimizer: optimizer, schedule: schedule, gradients: gradients, staleness: staleness, sync: sync,
            validation: validation, checkpoints: checkpoints, seed: seed, threads: threads,
            maxAttempts: maxAttempts, fileCharacters: characters)
        config.pulls = pulls
        config.initialization = initialization?.source
        config.initialCharset = initialization?.charset
        return config
    }

    /// `init: {checkpoint: FILE}` or `init: {run: N, checkpoint: best|latest}` (best by default),
    /// with `charset: same|map` (same by default).
    private func initSection(_ node: ConfigNode, baseDirectory: String) throws
        -> (source: RunConfig.Initialization, charset: CharsetMapping?) {
        var section = try ConfigMapping(node)
        let runNode = section.optional("run")
        let checkpointNode = section.optional("checkpoint")
        let charset = try section.optional("charset")?.choice(CharsetMapping.self)
        try section.finish()
        if let runNode {
            let run = try runNode.int64()
            guard run >= 1 else { throw runNode.error(.invalidValue, "a run id is at least 1, got \(run)") }
            let which = try checkpointNode?.choice(RunConfig.Initialization.RunCheckpoint.self) ?? .best
            return (.run(id: run, checkpoint: which), charset)
        }
        guard let checkpointNode else {
            throw node.error(.missingKey, "needs checkpoint: FILE (a .crnn file) or run: N (with checkpoint: best or latest)")
        }
        let given = try checkpointNode.string()
        let path = given.hasPrefix("/") ? given : URL(fileURLWithPath: baseDirectory).appendingPathComponent(given).standardized.path
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw checkpointNode.error(.invalidValue, "checkpoint file \(path) does not exist or cannot be read")
        }
        return (.file(path: path), charset)
    }

    private func runName(_ node: ConfigNode) throws -> String {
        let name = try node.string()
        if let problem = RunName.problem(name) { throw node.error(.invalidValue, "a run name \(problem)") }
        return name
    }

    /// `image: {height, width}`, held to the models' rule here so that a size they cannot read is
    /// refused at submit, naming the key, rather than by the coordinator (RunRecipe checks the
    /// same; Engine's `ModelConfig.isValidWidth` is the rule along the text).
    private func imageSize(_ node: ConfigNode, direction: TextDirection) throws -> RunConfig.ImageSize {
        var section = try ConfigMapping(node)
        let heightNode = try section.required("height", hint: "pixels")
        let widthNode = try section.required("width", hint: "pixels")
        let height = try heightNode.int(in: 8...Self.maxImageSide)
        let width = try widthNode.int(in: 8...Self.maxImageSide)
        try section.finish()
        let vertical = direction == .vertical
        let (along, alongNode) = vertical ? (height, heightNode) : (width, widthNode)
        let (across, acrossNode) = vertical ? (width, widthNode) : (height, heightNode)
        guard along >= 16, along % 4 == 0 else {
            throw alongNode.error(.invalidValue, "the text axis of a \(direction.rawValue) line must be a multiple of 4 and at least 16 pixels, got \(along)")
        }
        guard across == 32 else {
            throw acrossNode.error(.invalidValue, "the models read \(direction.rawValue) lines 32 pixels \(vertical ? "wide" : "high"), got \(across)")
        }
        return .init(height: height, width: width)
    }

    private func dataSource(_ node: ConfigNode, baseDirectory: String) throws -> DataSource {
        var section = try ConfigMapping(node)
        if section.has("mix") { return try mixSource(&section, baseDirectory: baseDirectory) }
        let synthetic = section.optional("synthetic")
        let dataset = section.optional("dataset")
        try section.finish()
        switch (synthetic, dataset) {
        case (let synthetic?, nil):
            var inner = try ConfigMapping(synthetic)
            let count = try inner.required("samples_per_epoch", hint: "samples rendered per epoch")
                .int(in: 1...Self.maxSamplesPerEpoch)
            try inner.finish()
            return .synthetic(samplesPerEpoch: count)
        case (nil, let dataset?):
            return try datasetPart(dataset, baseDirectory: baseDirectory)
        case (.some, .some):
            throw node.error(.invalidValue, "give either synthetic or dataset, not both")
        case (nil, nil):
            throw node.error(.missingKey, "needs synthetic: {samples_per_epoch: N} or dataset: FOLDER")
        }
    }

    /// `dataset: VALUE`: a name (no folder of that name beside the config) is a dataset stored in
    /// PostgreSQL, resolved at submit; anything else is a folder.
    private func datasetPart(_ node: ConfigNode, baseDirectory: String) throws -> DataSource {
        let value = try node.string()
        let folder = CharsetFile.absolute(value, base: baseDirectory)
        if DatasetStore.isName(value) && !FileManager.default.fileExists(atPath: folder) {
            return .stored(name: value, id: 0, samples: 0)
        }
        return try DatasetFolder.resolve(node, baseDirectory: baseDirectory)
    }

    /// `data: {mix: [{dataset: NAME|FOLDER, weight: W}, {synthetic: {}, weight: V}], samples_per_epoch: N}`:
    /// every minibatch takes W / (W + V) of its samples from the dataset, the rest rendered.
    private func mixSource(_ section: inout ConfigMapping, baseDirectory: String) throws -> DataSource {
        let mixNode = section.optional("mix")!
        let samplesNode = try section.required("samples_per_epoch", hint: "samples one epoch of the mix trains on")
        try section.finish()
        let parts = try mixNode.list()
        var dataset: (source: DataSource, weight: Double)?
        var synthetic: Double?
        for part in parts {
            var mapping = try ConfigMapping(part)
            let weight = try mapping.required("weight", hint: "the part's share of every minibatch, > 0").double(in: 0...1_000_000, lowerOpen: true)
            if let node = mapping.optional("dataset") {
                try mapping.finish()
                guard dataset == nil else { throw node.error(.invalidValue, "a mix takes one dataset part") }
                dataset = (try datasetPart(node, baseDirectory: baseDirectory), weight)
            } else if let node = mapping.optional("synthetic") {
                try mapping.finish()
                guard synthetic == nil else { throw node.error(.invalidValue, "a mix takes one synthetic part") }
                let inner = try ConfigMapping(node)
                try inner.finish()
                synthetic = weight
            } else {
                throw part.error(.missingKey, "each part is {dataset: NAME or FOLDER, weight: W} or {synthetic: {}, weight: W}")
            }
        }
        guard let dataset, let synthetic else {
            throw mixNode.error(.invalidValue, "a mix is one dataset part and one synthetic part")
        }
        let samples = try samplesNode.int(in: 1...Self.maxSamplesPerEpoch)
        return .mix(dataset: dataset.source, weight: dataset.weight / (dataset.weight + synthetic), samplesPerEpoch: samples)
    }

    private func gradientSection(_ node: ConfigNode) throws -> RunConfig.Gradients {
        var section = try ConfigMapping(node)
        let codec = try section.optional("codec")?.choice(GradientCodecName.self) ?? .fp32Zstd
        guard codec.keepsTopK else {
            try section.reject("k", because: "k applies only to the top-k codecs (topk+fp16+zstd, topk+bf16+zstd)")
            try section.finish()
            return .init(codec: codec)
        }
        let k = try section.optional("k")?.double(in: 0...1, lowerOpen: true) ?? 0.01
        try section.finish()
        return .init(codec: codec, k: k)
    }

    /// `pulls: {codec: exact | fp16+zstd | bf16+zstd | topk+fp16+zstd | topk+bf16+zstd, k, resync_every}`.
    private func pullSection(_ node: ConfigNode) throws -> RunConfig.Pulls {
        var section = try ConfigMapping(node)
        let codecNode = section.optional("codec")
        var codec: GradientCodecName?
        if let codecNode {
            let text = try codecNode.string()
            let lossy = GradientCodecName.allCases.filter { $0 != .fp32Zstd }
            if text != "exact" {
                guard let name = GradientCodecName(rawValue: text), name != .fp32Zstd else {
                    let why = text == GradientCodecName.fp32Zstd.rawValue
                        ? "fp32+zstd would send the change losslessly, no smaller than the arena; "
                        : "got '\(text)'; "
                    throw codecNode.error(.invalidValue, why + "must be one of exact, "
                        + lossy.map(\.rawValue).joined(separator: ", "))
                }
                codec = name
            }
        }
        var k: Double?
        if codec?.keepsTopK == true {
            k = try section.optional("k")?.double(in: 0...1, lowerOpen: true) ?? 0.01
        } else {
            try section.reject("k", because: "k applies only to the top-k pull codecs (topk+fp16+zstd, topk+bf16+zstd)")
        }
        var resyncEvery = RunConfig.Pulls.defaultResyncEvery
        if codec == nil {
            try section.reject("resync_every", because: "exact pulls are always exact: resync_every applies to delta codecs")
        } else {
            resyncEvery = try section.optional("resync_every")?.int(in: 1...100_000_000) ?? resyncEvery
        }
        try section.finish()
        return .init(codec: codec, k: k, resyncEvery: resyncEvery)
    }

    private func stalenessSection(_ node: ConfigNode) throws -> RunConfig.Staleness {
        var section = try ConfigMapping(node)
        let bound = try section.optional("bound")?.int(in: 0...1_000_000) ?? 8
        let policy = try section.optional("policy")?.choice(StalenessPolicy.self) ?? .downweight
        try section.finish()
        return .init(bound: bound, policy: policy)
    }

    private func syncMode(_ node: ConfigNode) throws -> UpdateMode {
        if case .scalar(let scalar) = node.node, let flag = ConfigNode.boolean(scalar.string) {
            return flag ? .synchronous(workers: nil) : .asynchronous
        }
        guard case .scalar(let scalar) = node.node, Int(scalar.string) != nil else {
            throw node.error(.wrongType, "expected true, false or a number of workers, got \(node.shown)")
        }
        return .synchronous(workers: try node.int(in: 1...10_000))
    }

    private func validationSection(_ node: ConfigNode?, runSeed: Int64, image: RunConfig.ImageSize) throws -> RunConfig.Validation {
        // The validation set's default seed differs from the training seed so the two never
        // render the same samples.
        let defaults = RunConfig.Validation(size: 1000, every: 500, seed: runSeed &+ 1_000_003)
        guard let node else { return defaults }
        var section = try ConfigMapping(node)
        let sizeNode = section.optional("size")
        let size = try sizeNode?.int(in: 1...10_000_000) ?? defaults.size
        let bytes = RunConfig.validationBytes(size: size, image: image)
        if let sizeNode, bytes > RunConfig.maxValidationBytes {
            throw sizeNode.error(.invalidValue, "\(size) held-out lines of \(image.width)×\(image.height) take "
                                 + "\(bytes >> 20) MiB in the coordinator's memory (at most \(RunConfig.maxValidationBytes >> 20) MiB): "
                                 + "at most \(RunConfig.maxValidationBytes / RunConfig.validationBytes(size: 1, image: image)) lines at this image size")
        }
        let every = try section.optional("every")?.int(in: 1...100_000_000) ?? defaults.every
        let seed = try section.optional("seed")?.int64() ?? defaults.seed
        try section.finish()
        return .init(size: size, every: every, seed: seed)
    }

    private func checkpointSection(_ node: ConfigNode) throws -> RunConfig.Checkpoints {
        var section = try ConfigMapping(node)
        let best = try section.optional("best")?.int(in: 0...1000) ?? 3
        let keepLatest = try section.optional("keep_latest")?.bool() ?? true
        try section.finish()
        if best == 0 && !keepLatest {
            throw node.error(.invalidValue, "keeps no checkpoint at all: set best ≥ 1 or keep_latest: true")
        }
        return .init(best: best, keepLatest: keepLatest)
    }
}
