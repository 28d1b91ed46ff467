/// The shards of a run, computed from its config before anything touches the database.
///
/// Epoch e, index i covers samples [i × shard_size, min((i + 1) × shard_size, samples per epoch))
/// of that epoch. Its seed is a hash of (run seed, epoch, index), so a synthetic shard renders
/// the same images on any machine. For a dataset the samples of an epoch are its training lines
/// (the held-out ones excluded) in that epoch's shuffled order (`DatasetSplit` in Training), and
/// the slice is a range of positions in that order.
public struct ShardPlan: Equatable, Sendable {
    public struct Shard: Equatable, Sendable {
        public let epoch: Int
        public let index: Int
        public let seed: Int64
        /// Dataset rows for dataset runs; nil for synthetic ones.
        public let sliceStart: Int?
        public let sliceCount: Int?
        public let sampleCount: Int
    }

    /// A run this size is a typo (shard_size far too small), and would bloat the queue.
    public static let maxShards = 2_000_000

    public let shards: [Shard]

    public init(config: RunConfig) {
        let perEpoch = config.shardsPerEpoch
        let samples = config.samplesPerEpoch
        let dataset = config.data.isSliced
        var shards: [Shard] = []
        shards.reserveCapacity(perEpoch * config.epochs)
        for epoch in 0..<config.epochs {
            for index in 0..<perEpoch {
                let start = index * config.shardSize
                let count = min(config.shardSize, samples - start)
                shards.append(Shard(
                    epoch: epoch, index: index,
                    seed: ShardPlan.seed(run: config.seed, epoch: epoch, index: index),
                    sliceStart: dataset ? start : nil, sliceCount: dataset ? count : nil,
                    sampleCount: count))
            }
        }
        self.shards = shards
    }

    /// SplitMix64 over the three numbers: well mixed, cheap, and easy to reproduce in any language.
    public static func seed(run: Int64, epoch: Int, index: Int) -> Int64 {
        var state = UInt64(bitPattern: run)
        state = splitMix(state ^ (UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15))
        state = splitMix(state ^ (UInt64(index) &* 0xC2B2_AE3D_27D4_EB4F))
        return Int64(bitPattern: state)
    }

    static func splitMix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
