import Testing
import Benchmarks
import Engine

@Suite struct TrainBenchmarkTests {
    /// The analytic count must match tools/bench/flops.py's check: seed, K = 30,657, W = 512 is
    /// 5.40 GMAC forward per image (3.15 conv, 0.29 GRU, 1.96 fc).
    @Test func forwardMACsMatchTheReferenceCount() {
        let macs = ModelPreset.seed.config(classes: 30_657).forwardMACs(width: 512)
        func total(_ prefix: String) -> Double {
            Double(macs.filter { $0.layer.hasPrefix(prefix) }.reduce(0) { $0 + $1.macs }) / 1e9
        }
        #expect(abs(total("conv") - 3.15) < 0.005)
        #expect(abs(total("rnn") - 0.29) < 0.005)
        #expect(abs(total("fc") - 1.96) < 0.005)
        #expect(abs(total("") - 5.40) < 0.005)
        #expect(TrainBenchmark.trainFLOPPerImage(ModelPreset.seed.config(classes: 30_657), width: 512)
                == 6 * macs.reduce(0) { $0 + $1.macs })
    }

    @Test func batchFollowsTheTorchRecipe() {
        let b = TrainBenchmark.batch(classes: 11, width: 100, batch: 8, seed: 3)  // T = 22
        #expect(b.images.count == 8 * 32 * 100 && b.images.allSatisfy { $0 >= -1 && $0 <= 1 })
        #expect(b.targets.allSatisfy { (5...9).contains($0.count) && $0.allSatisfy { (1..<11).contains($0) } })
    }

    @Test func runReportsThroughputAndFallingLoss() throws {
        let r = try TrainBenchmark.run(preset: .tiny, classes: 5, width: 32, batch: 2, threads: 1,
                                       steps: 3, warmup: 1, optimizer: .sgd)
        #expect(r.secondsPerStep.count == 3 && r.imagesPerSecond > 0 && r.gflops > 0)
        #expect(r.lastLoss.isFinite && r.lastLoss < r.firstLoss)
    }
}
