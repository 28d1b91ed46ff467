// Where a shard's minibatches come from: rendered by the run's generator (synthetic runs), read
// from the run's dataset (dataset runs: a folder or PostgreSQL) in the shard's order, or both in
// every minibatch (mixed runs), a batch at a time.
//
// Shapes: images [n, H, W] (or [n, W, H] vertical), floats per image = recipe.floatsPerImage.
import Store
import TextImages
import Training

/// Not thread-safe: one shard's loop uses it. Renders into one buffer it keeps: a batch's
/// images are that buffer, and the next batch writes into it again once the caller let go of
/// the last (no allocation per minibatch).
final class ShardBatches {
    /// The images and labels of one minibatch; `skipped` lists dataset lines that could not be read.
    struct Batch {
        var images: [Float]
        var labels: [[Int]]
        var skipped: [SkippedLine]
    }

    private enum Source {
        case synthetic(SyntheticSource, seed: UInt64)
        /// The shard's line indices (positions sliceStart… of its epoch's order).
        case dataset(DatasetSamples, lines: [Int])
        /// A fraction `weight` of every minibatch from the dataset's training lines (drawn by the
        /// shard's seed), the rest rendered from the shard's seed.
        case mix(DatasetSamples, SyntheticSource, seed: UInt64, weight: Double)
    }

    private let source: Source
    private let perImage: Int
    private var images: [Float] = []
    let sampleCount: Int

    /// - Throws: `DatasetAccessError.changed` when the dataset no longer has the shard's lines.
    init(shard: ClaimedShard, recipe: RunRecipe, synthetic: SyntheticSource, dataset: DatasetSamples?) throws {
        perImage = recipe.floatsPerImage
        sampleCount = shard.sampleCount
        if let dataset, case .mix(_, let weight, _) = recipe.config.data {
            source = .mix(dataset, synthetic, seed: UInt64(bitPattern: shard.seed), weight: weight)
        } else if let dataset {
            let lines = dataset.split.slice(epoch: shard.epoch, start: shard.sliceStart ?? 0, count: shard.sampleCount)
            if lines.count != shard.sampleCount, case .dataset(let path, let submitted) = recipe.config.data {
                throw DatasetAccessError.changed(run: shard.run, path: path, now: dataset.dataset.count, submitted: submitted)
            }
            source = .dataset(dataset, lines: lines)
        } else {
            source = .synthetic(synthetic, seed: UInt64(bitPattern: shard.seed))
        }
    }

    /// Samples `start ..< start + count` of the shard. A dataset batch holds fewer lines than
    /// asked for when some could not be read (they are in `skipped`), and may hold none.
    func batch(start: Int, count: Int) -> Batch {
        if images.count != count * perImage { images = [Float](repeating: 0, count: count * perImage) }
        switch source {
        case let .synthetic(generator, seed):
            let labels = images.withUnsafeMutableBufferPointer {
                RunRecipe.render(generator, seed: seed, indices: UInt64(start)..<UInt64(start + count), into: $0.baseAddress!)
            }
            return Batch(images: images, labels: labels, skipped: [])
        case let .dataset(data, lines):
            let loaded = images.withUnsafeMutableBufferPointer { data.load(lines[start..<(start + count)], into: $0.baseAddress!) }
            let kept = loaded.labels.count * perImage
            return Batch(images: kept == images.count ? images : Array(images[..<kept]), labels: loaded.labels, skipped: loaded.skipped)
        case let .mix(data, generator, seed, weight):
            let (lines, rendered) = Self.mixed(start: start, count: count, weight: weight, seed: seed, training: data.split.training)
            let (labels, skipped) = images.withUnsafeMutableBufferPointer { buffer -> ([[Int]], [SkippedLine]) in
                let loaded = data.load(lines, into: buffer.baseAddress!)
                let drawn = RunRecipe.render(generator, seed: seed, indices: rendered,
                                             into: buffer.baseAddress! + loaded.labels.count * perImage)
                return (loaded.labels + drawn, loaded.skipped)
            }
            let kept = labels.count * perImage
            return Batch(images: kept == images.count ? images : Array(images[..<kept]), labels: labels, skipped: skipped)
        }
    }

    /// A mixed batch of samples `start ..< start + count` of a shard: the dataset's share is
    /// ⌊k·weight + ½⌋ of the first k samples, so every batch holds its share to within one sample
    /// and the shard as a whole exactly; those lines are drawn from `training` by the shard's
    /// seed (with replacement across shards), the rest are rendered samples at their positions.
    static func mixed(start: Int, count: Int, weight: Double, seed: UInt64, training: [Int])
        -> (lines: [Int], rendered: Range<UInt64>) {
        let share = { (k: Int) in Int((Double(k) * weight + 0.5).rounded(.down)) }
        let from = share(start), to = share(start + count)
        let lines = training.isEmpty ? [] : (from..<to).map { i -> Int in
            var generator = SplitMix64(seed: seed ^ (UInt64(i) &* 0xD6E8_FEB8_6659_FD93))
            return training[Int(generator.next() % UInt64(training.count))]
        }
        // Rendered samples take the positions the dataset does not: stream indices start − from ….
        let renderedStart = UInt64(start - from)
        return (lines, renderedStart..<(renderedStart + UInt64(count - (to - from))))
    }
}
