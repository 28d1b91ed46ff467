import ArgumentParser
import Benchmarks
import CommandLineSupport
import Engine
import Foundation

/// `crnnctl bench train`: steady-state training throughput, comparable with
/// tools/bench/torch_crnn.py (same batch recipe, Adam, FLOP formula).
struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Time training steps on a fixed random batch; print images/s and GFLOP/s.")

    @Option(help: "Model preset: \(ModelPreset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var preset: String = "paper"
    @Option(help: "Output classes including the blank.")
    var classes: Int = 11
    @Option(help: "Image width in pixels (a multiple of 4, at least 16).")
    var width: Int = 100
    @Option(help: "Images per step.")
    var batch: Int = 32
    @Option(help: "Threads for OpenBLAS and the engine's loops.")
    var threads: Int = 1
    @Option(help: "Timed steps.")
    var steps: Int = 10
    @Option(help: "Untimed warm-up steps before the timed ones.")
    var warmup: Int = 2
    @Option(help: "Optimiser: adam, sgd or adadelta (PyTorch's defaults).")
    var optimizer: String = "adam"
    @Flag(help: "Print every step's time and loss.")
    var verbose = false

    func validate() throws {
        guard ModelPreset(rawValue: preset) != nil else {
            throw ValidationError("--preset \(preset) is unknown; use one of \(ModelPreset.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard classes >= 2 else { throw ValidationError("--classes must be at least 2 (class 0 is the blank)") }
        guard width >= 16 && width % 4 == 0 else { throw ValidationError("--width must be a multiple of 4 and at least 16") }
        guard batch >= 1, threads >= 1, steps >= 1, warmup >= 0 else {
            throw ValidationError("--batch, --threads and --steps must be positive, --warmup non-negative")
        }
        guard OptimizerKind(rawValue: optimizer) != nil else {
            throw ValidationError("--optimizer must be one of \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        OpenBLASTuning.reexecIfNeeded()
        let preset = ModelPreset(rawValue: preset)!
        let result = try TrainBenchmark.run(
            preset: preset, classes: classes, width: width, batch: batch, threads: threads,
            steps: steps, warmup: warmup, optimizer: OptimizerKind(rawValue: optimizer)!,
            progress: verbose ? { step, seconds, loss in
                print("step \(step): \(String(format: "%.3f", seconds)) s, loss \(loss)")
            } : nil)
        let sorted = result.secondsPerStep.sorted()
        let cpu = result.cpuSecondsPerStep.reduce(0, +) / Double(steps)
        print("engine preset=\(preset.rawValue) classes=\(classes) width=\(width) batch=\(batch) "
              + "threads=\(threads): \(String(format: "%.2f", result.imagesPerSecond)) img/s, "
              + "\(String(format: "%.1f", result.gflops)) GFLOP/s (steps=\(steps), median "
              + "\(String(format: "%.3f", sorted[sorted.count / 2])) s/step, min "
              + "\(String(format: "%.3f", sorted[0])), cpu \(String(format: "%.3f", cpu)) s/step, loss \(result.firstLoss)->\(result.lastLoss))")
    }
}
