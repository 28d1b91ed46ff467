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
        (data.samplesPerEpoch + shardSize - 1) / shardSize
    }

    /// Shards of the whole run.
    public var totalShards: Int { shardsPerEpoch * epochs }
}
