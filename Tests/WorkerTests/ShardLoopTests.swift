// The pieces of a worker's shard loop without a database or a server: where a shard's batches
// come from, and what the worker reports when the shard is done.
import Foundation
import Store
import Testing
import TextImages
import Training
@testable import Worker

@Suite struct ShardLoopTests {
    static func shard(samples: Int, seed: Int64 = 77) -> ClaimedShard {
        ClaimedShard(id: 9, run: 1, epoch: 0, index: 3, seed: seed, sliceStart: nil, sliceCount: nil,
                     sampleCount: samples, attempt: 0, leaseExpiresAt: "", psAddress: nil)
    }

    @Test func syntheticBatchesAreTheShardsSlicesOfItsSeededStream() throws {
        let recipe = try RunSessionTests.recipe()
        let source = try recipe.makeSource(fonts: RunSessionTests.fonts)
        let batches = try ShardBatches(shard: Self.shard(samples: 40), recipe: recipe, synthetic: source, dataset: nil)
        let tail = batches.batch(start: 32, count: 8)
        #expect(tail.labels.count == 8)
        #expect(tail.images.count == 8 * recipe.floatsPerImage)
        #expect(tail.skipped.isEmpty)
        // The same samples as the stream's indices 32..<40 under the shard's seed, and again on a second call.
        var expected = [Float](repeating: 0, count: 8 * recipe.floatsPerImage)
        let labels = expected.withUnsafeMutableBufferPointer {
            RunRecipe.render(source, seed: 77, indices: 32..<40, into: $0.baseAddress!)
        }
        #expect(tail.labels == labels)
        #expect(tail.images == expected)
        #expect(batches.batch(start: 32, count: 8).images == expected)
        // Another shard's seed renders other lines.
        let other = try ShardBatches(shard: Self.shard(samples: 40, seed: 78), recipe: recipe, synthetic: source, dataset: nil)
        #expect(other.batch(start: 32, count: 8).images != expected)
    }

    @Test func progressCountsOnlyTrainedLinesAndFiniteLosses() {
        let started = Date(timeIntervalSince1970: 1_000)
        var progress = ShardProgress(shard: Self.shard(samples: 64), worker: 4, now: started)
        progress.record(loss: 2, version: 10)
        progress.record(loss: .nan, version: 11)
        progress.record(loss: 4, version: 12)
        progress.done = 64
        progress.skipped = [SkippedLine(line: 3, reason: "unreadable"), SkippedLine(line: 8, reason: "empty label")]
        let metrics = progress.metrics(step: 12, now: started.addingTimeInterval(2))
        let byName = Dictionary(uniqueKeysWithValues: metrics.map { ($0.name, $0.value) })
        #expect(byName[MetricName.workerSamples] == 62)
        #expect(byName["worker_samples_per_s"] == 31)
        #expect(byName[MetricName.workerSkipped] == 2)
        #expect(byName[MetricName.workerTrainLoss] == 3)
        #expect(metrics.allSatisfy { $0.run == 1 && $0.worker == 4 && $0.step == 12 })
        #expect(progress.line.contains("64/64 samples, loss 3.0000"))
        #expect(progress.line.contains("version 12"))
    }

    @Test func aProgressLineIsDueAfterItsIntervalOrAtTheEnd() {
        let started = Date(timeIntervalSince1970: 1_000)
        var progress = ShardProgress(shard: Self.shard(samples: 64), worker: 4, now: started)
        progress.done = 32
        do { let due = progress.isDueForReport(every: 30, now: started.addingTimeInterval(29)); #expect(!due) }
        do { let due = progress.isDueForReport(every: 30, now: started.addingTimeInterval(31)); #expect(due) }
        do { let due = progress.isDueForReport(every: 30, now: started.addingTimeInterval(40)); #expect(!due) }
        progress.done = 64
        do { let due = progress.isDueForReport(every: 30, now: started.addingTimeInterval(41)); #expect(due) }
    }
}
