import Testing
@testable import Worker

/// Mixed runs: every minibatch takes the dataset's share to within one sample, the shard exactly,
/// the same lines for the same seed, and the rendered samples fill the other positions once each.
@Suite struct MixedBatchesTests {
    let training = Array(100..<400)

    @Test func everyBatchHoldsItsShareAndTheShardExactly() {
        var lines = 0, rendered: [UInt64] = []
        for start in stride(from: 0, to: 512, by: 32) {
            let batch = ShardBatches.mixed(start: start, count: 32, weight: 0.3, seed: 11, training: training)
            #expect(abs(batch.lines.count - Int(32 * 0.3)) <= 1, "batch at \(start): \(batch.lines.count) dataset lines")
            #expect(batch.lines.count + batch.rendered.count == 32)
            #expect(batch.lines.allSatisfy { training.contains($0) })
            lines += batch.lines.count
            rendered += Array(batch.rendered)
        }
        #expect(lines == Int((512 * 0.3).rounded()), "the shard's share exactly")
        #expect(rendered == Array(0..<UInt64(512 - lines)), "each rendered sample once, in stream order")
    }

    @Test func theSameSeedDrawsTheSameLinesAnotherSeedOthers() {
        let a = ShardBatches.mixed(start: 64, count: 64, weight: 0.5, seed: 3, training: training)
        #expect(a == ShardBatches.mixed(start: 64, count: 64, weight: 0.5, seed: 3, training: training))
        #expect(a.lines != ShardBatches.mixed(start: 64, count: 64, weight: 0.5, seed: 4, training: training).lines)
        #expect(ShardBatches.mixed(start: 0, count: 16, weight: 1, seed: 3, training: training).rendered.isEmpty)
        #expect(ShardBatches.mixed(start: 0, count: 16, weight: 0.5, seed: 3, training: []).lines.isEmpty)
    }
}
