// Training throughput of the engine, the Swift side of tools/bench/torch_crnn.py: same batch
// recipe, same optimiser (Adam lr 1e-3 by default), same analytic FLOP count (tools/bench/flops.py)
// so images/s and GFLOP/s compare one to one. Not a test: numbers come from `crnnctl bench train`.
import Engine
import Foundation

public enum TrainBenchmark {
    public struct Result: Sendable {
        /// Steady-state throughput (warm-up steps excluded).
        public var imagesPerSecond: Double
        /// `imagesPerSecond` × the analytic training FLOP per image, in 10⁹ FLOP/s.
        public var gflops: Double
        public var secondsPerStep: [Double]
        /// Process CPU seconds (all threads) of each timed step: on a shared machine, wall time
        /// also counts time spent waiting for a core, CPU time does not.
        public var cpuSecondsPerStep: [Double]
        public var firstLoss: Float, lastLoss: Float
    }


    /// Training FLOP per image: 2 FLOP per MAC × 3 (forward + backward ≈ 3 forwards).
    public static func trainFLOPPerImage(_ config: ModelConfig, width: Int) -> Int {
        6 * config.forwardMACs(width: width).reduce(0) { $0 + $1.macs }
    }

    /// A fixed random batch like torch_crnn.py's: images uniform in [−1, 1], target lengths
    /// uniform in [max(1, T/4), max(lo, min(T/2, 5T/12))], labels uniform in 1..<K.
    public static func batch(classes: Int, width: Int, batch: Int, seed: UInt64) -> (images: [Float], targets: [[Int]]) {
        var rng = SplitMix64(seed: seed)
        let images = (0..<(batch * 32 * width)).map { _ in rng.uniform(1) }
        let t = ModelConfig.timeSteps(width: width)
        let lo = max(1, t / 4), hi = max(lo, min(t / 2, 5 * t / 12))
        let targets = (0..<batch).map { _ in
            (0..<(lo + Int(rng.next() % UInt64(hi - lo + 1)))).map { _ in 1 + Int(rng.next() % UInt64(classes - 1)) }
        }
        return (images, targets)
    }

    /// Trains `warmup + steps` steps on one fixed batch and times the last `steps`.
    /// - Throws: `ModelInputError` / `CTCError` if the sizes make no valid batch.
    public static func run(preset: ModelPreset, classes: Int, width: Int, batch n: Int, threads: Int,
                           steps: Int, warmup: Int = 2, optimizer: OptimizerKind = .adam,
                           progress: ((Int, Double, Float) -> Void)? = nil) throws -> Result {
        let config = preset.config(classes: classes)
        let model = CRNNModel(config: config, seed: 1, threads: threads)
        // PyTorch's defaults, as tools/bench/torch_crnn.py uses them.
        let opt: Optimizer, lr: Float
        switch optimizer {
        case .adam: (opt, lr) = (Adam(layout: model.parameters.layout), 1e-3)
        case .sgd: (opt, lr) = (SGD(layout: model.parameters.layout, momentum: 0.9, weightDecay: 1e-4), 1e-2)
        case .adadelta: (opt, lr) = (Adadelta(layout: model.parameters.layout, rho: 0.9, eps: 1e-6, weightDecay: 0), 1)
        }
        let data = batch(classes: classes, width: width, batch: n, seed: 1)
        var times: [Double] = [], cpu: [Double] = [], losses: [Float] = []
        for step in 0..<(warmup + steps) {
            let start = DispatchTime.now().uptimeNanoseconds, cpuStart = processCPUSeconds()
            let loss = try model.trainStep(images: data.images, targets: data.targets)
            opt.step(parameters: model.parameters, gradients: model.gradients, learningRate: lr)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            progress?(step, seconds, loss)
            if step >= warmup {
                times.append(seconds); cpu.append(processCPUSeconds() - cpuStart); losses.append(loss)
            }
        }
        let total = times.reduce(0, +)
        let imagesPerSecond = Double(n * steps) / total
        return Result(imagesPerSecond: imagesPerSecond,
                      gflops: imagesPerSecond * Double(trainFLOPPerImage(config, width: width)) / 1e9,
                      secondsPerStep: times, cpuSecondsPerStep: cpu, firstLoss: losses.first ?? .nan, lastLoss: losses.last ?? .nan)
    }
}

/// CPU time of the whole process (every thread), in seconds.
func processCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
