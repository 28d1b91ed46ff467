/// Which alphabet a run recognises: a named preset (resolved against the installed fonts by the
/// TextImages module) or a file with one character per line (the original project's format).
public enum CharsetSource: Equatable, Sendable {
    case preset(CharsetPreset)
    /// An absolute path (relative paths in a config are resolved against the config's folder).
    case file(String)

    /// The preset name or the path, as stored in `runs.charset_name`.
    public var name: String {
        switch self {
        case .preset(let preset): return preset.rawValue
        case .file(let path): return path
        }
    }
}

extension CharsetSource: Codable {
    // One string in JSON: a preset name, or a path (always absolute, so never a preset's name).
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = CharsetPreset(rawValue: text).map(CharsetSource.preset) ?? .file(text)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}

/// Where training samples come from.
public enum DataSource: Equatable, Sendable {
    /// Rendered on the fly; each shard regenerates its samples from its seed.
    case synthetic(samplesPerEpoch: Int)
    /// A folder with `labels.tsv` (`relative/image/path<TAB>label` per line); `samples` is the
    /// number of labelled lines counted at submit time. Every machine reads it at `path`.
    case dataset(path: String, samples: Int)
    /// A dataset stored in PostgreSQL (`crnnctl datasets add`): `id` and `samples` are resolved
    /// at submit (0 until then). Every machine reads it from the database.
    case stored(name: String, id: Int64, samples: Int)
    /// Real lines and rendered ones in every minibatch: a fraction `weight` from `dataset` (a
    /// `.dataset` or `.stored`), the rest rendered; an epoch is `samplesPerEpoch` samples.
    indirect case mix(dataset: DataSource, weight: Double, samplesPerEpoch: Int)

    /// Whether the run reads labelled lines (a folder, a stored dataset, or a mix with one):
    /// its held-out lines validate it.
    public var isDataset: Bool {
        if case .synthetic = self { return false }
        return true
    }

    /// Whether shards are slices of the dataset's epoch order (not for rendered or mixed samples).
    public var isSliced: Bool {
        switch self {
        case .dataset, .stored: return true
        case .synthetic, .mix: return false
        }
    }

    /// The labelled lines the run reads: the source itself, or a mix's dataset part.
    public var labelledLines: DataSource? {
        switch self {
        case .dataset, .stored: return self
        case .mix(let dataset, _, _): return dataset
        case .synthetic: return nil
        }
    }

    /// Samples the source holds: per epoch for synthetic data, every labelled line of a dataset
    /// (held-out lines included; `RunConfig.samplesPerEpoch` is what an epoch trains on).
    public var sampleCount: Int {
        switch self {
        case .synthetic(let count): return count
        case .dataset(_, let samples), .stored(_, _, let samples): return samples
        case .mix(let dataset, _, _): return dataset.sampleCount
        }
    }
}

extension DataSource: Codable {
    private enum Keys: String, CodingKey { case synthetic, dataset, stored, mix }
    private enum MixKeys: String, CodingKey { case dataset, weight, samplesPerEpoch }
    private enum StoredKeys: String, CodingKey { case name, id, samples }
    private enum SyntheticKeys: String, CodingKey { case samplesPerEpoch }
    private enum DatasetKeys: String, CodingKey { case path, samples }

    // {"synthetic": {"samples_per_epoch": N}}, {"dataset": {"path": P, "samples": N}} or
    // {"stored": {"name": NAME, "id": ID, "samples": N}} or
    // {"mix": {"dataset": {…}, "weight": W, "samples_per_epoch": N}}.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        if container.contains(.synthetic) {
            let inner = try container.nestedContainer(keyedBy: SyntheticKeys.self, forKey: .synthetic)
            self = .synthetic(samplesPerEpoch: try inner.decode(Int.self, forKey: .samplesPerEpoch))
        } else if container.contains(.mix) {
            let inner = try container.nestedContainer(keyedBy: MixKeys.self, forKey: .mix)
            self = .mix(dataset: try inner.decode(DataSource.self, forKey: .dataset), weight: try inner.decode(Double.self, forKey: .weight),
                        samplesPerEpoch: try inner.decode(Int.self, forKey: .samplesPerEpoch))
        } else if container.contains(.stored) {
            let inner = try container.nestedContainer(keyedBy: StoredKeys.self, forKey: .stored)
            self = .stored(name: try inner.decode(String.self, forKey: .name), id: try inner.decode(Int64.self, forKey: .id),
                           samples: try inner.decode(Int.self, forKey: .samples))
        } else {
            let inner = try container.nestedContainer(keyedBy: DatasetKeys.self, forKey: .dataset)
            self = .dataset(path: try inner.decode(String.self, forKey: .path),
                            samples: try inner.decode(Int.self, forKey: .samples))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        switch self {
        case .synthetic(let count):
            var inner = container.nestedContainer(keyedBy: SyntheticKeys.self, forKey: .synthetic)
            try inner.encode(count, forKey: .samplesPerEpoch)
        case .dataset(let path, let samples):
            var inner = container.nestedContainer(keyedBy: DatasetKeys.self, forKey: .dataset)
            try inner.encode(path, forKey: .path)
            try inner.encode(samples, forKey: .samples)
        case .mix(let dataset, let weight, let samples):
            var inner = container.nestedContainer(keyedBy: MixKeys.self, forKey: .mix)
            try inner.encode(dataset, forKey: .dataset)
            try inner.encode(weight, forKey: .weight)
            try inner.encode(samples, forKey: .samplesPerEpoch)
        case .stored(let name, let id, let samples):
            var inner = container.nestedContainer(keyedBy: StoredKeys.self, forKey: .stored)
            try inner.encode(name, forKey: .name)
            try inner.encode(id, forKey: .id)
            try inner.encode(samples, forKey: .samples)
        }
    }
}
