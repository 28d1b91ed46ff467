// Which lines of a dataset run validate and which train, and in what order each epoch visits the
// training ones. Pure arithmetic on line indices (0..<N, the order of labels.tsv), derived from the
// run seed alone, so the coordinator and every worker agree without talking to each other.
import TextImages

/// A dataset's lines split into a held-out validation part and a training part, with one shuffled
/// order of the training part per epoch.
///
/// Shard k of epoch e covers positions [k × shard_size, (k + 1) × shard_size) of `order(epoch: e)`
/// (`ShardPlan` computes the same ranges from `RunConfig.samplesPerEpoch` = `training.count`), so an
/// epoch visits every training line exactly once across its shards.
public struct DatasetSplit: Equatable, Sendable {
    /// Held-out line indices, ascending.
    public let validation: [Int]
    /// The other line indices, ascending.
    public let training: [Int]
    let seed: UInt64

    /// - Parameters:
    ///   - lines: the dataset's labelled lines (N).
    ///   - heldOut: how many of them validate (`RunConfig.heldOutSamples`); clamped to 0...N.
    ///   - seed: the run seed.
    public init(lines: Int, heldOut: Int, seed: Int64) {
        self.seed = UInt64(bitPattern: seed)
        let all = Self.shuffled(Array(0..<max(0, lines)), seed: self.seed, stream: Self.validationStream)
        let held = min(max(0, heldOut), all.count)
        validation = all[..<held].sorted()
        training = all[held...].sorted()
    }

    /// The training part in epoch `epoch`'s order: a permutation of `training`, different per epoch.
    public func order(epoch: Int) -> [Int] {
        Self.shuffled(training, seed: seed, stream: UInt64(max(0, epoch)))
    }

    /// Positions [start, start + count) of epoch `epoch`'s order (clamped to the training part):
    /// the line indices of one shard's slice.
    public func slice(epoch: Int, start: Int, count: Int) -> [Int] {
        let order = order(epoch: epoch)
        let lower = min(max(0, start), order.count)
        let upper = min(order.count, lower + max(0, count))
        return Array(order[lower..<upper])
    }

    /// Stream index of the held-out draw, far from any epoch number.
    static let validationStream: UInt64 = 0xDA7A_5E7_5B11_7000

    /// Fisher–Yates with the package's deterministic generator (`RandomSource`): the same
    /// permutation on every machine and Swift release, unlike the system RNG.
    static func shuffled(_ values: [Int], seed: UInt64, stream: UInt64) -> [Int] {
        var values = values
        var random = RandomSource(seed: seed, index: stream)
        var i = values.count - 1
        while i > 0 {
            values.swapAt(i, random.int(i + 1))
            i -= 1
        }
        return values
    }
}
