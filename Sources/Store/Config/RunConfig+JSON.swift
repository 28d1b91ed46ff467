import Foundation

extension RunConfig {
    /// The JSON stored in `runs.hyperparameters`: snake_case keys like the YAML, sorted for stable diffs.
    public func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Reads back `runs.hyperparameters` (what the coordinator and workers do).
    public init(json: String) throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        self = try decoder.decode(RunConfig.self, from: Data(json.utf8))
    }

    /// Shards per epoch: the epoch's samples cut into `shardSize` pieces, the last one shorter.
    public var shardsPerEpoch: Int {
        (samplesPerEpoch + shardSize - 1) / shardSize
    }

    /// Samples one epoch trains on: the synthetic count, or a dataset's lines minus the held-out ones.
    public var samplesPerEpoch: Int {
        if case .mix(_, _, let samples) = data { return samples }
        return data.sampleCount - heldOutSamples
    }

    /// Lines of a dataset kept out of training for validation: `validation.size`, but at most a
    /// tenth of the set (at least one line), so a small set still trains on 90 % of itself.
    /// Synthetic runs render their validation set from its own seed instead (0 here).
    public var heldOutSamples: Int {
        let samples = data.sampleCount
        guard data.isDataset, samples > 1 else { return 0 }
        return min(max(1, validation.size), max(1, samples / 10))
    }

    /// Shards of the whole run.
    public var totalShards: Int { shardsPerEpoch * epochs }
}
