import ArgumentParser
import Benchmarks
import Coordinator
import Engine
import Foundation
import TextImages
import Wire

/// `crnnctl bench codec`: bytes per update and encode/decode speed of every gradient codec.
///
/// By default on REAL gradients: the preset's model with `--classes` outputs takes `--steps`
/// Adam steps on rendered lines (`--charset`, labels hashed over `1..<classes`, see
/// `BenchmarkGradient`), and every step's wire arena (gradient + BN running-statistics change)
/// goes through every codec. `--synthetic` measures `SyntheticGradient` instead.
struct BenchCodecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec",
        abstract: "Bytes per update and MB/s for every gradient codec, on real (or synthetic) gradients.")

    @Option(help: "Model preset: \(ModelPreset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var preset: String = "seed"

    @Option(help: "Output classes including the blank.")
    var classes: Int = 30_657

    @Option(help: "Images per training step (real gradients).")
    var batch: Int = 8

    @Option(help: "Image width in pixels (a multiple of 4, at least 16); the height is 32.")
    var width: Int = 512

    @Option(help: "Training steps; each step's gradient is measured (real gradients).")
    var steps: Int = 2

    @Option(help: "Unmeasured Adam steps before the measured ones (gradients of a model that has trained a little).")
    var warmupSteps: Int = 0

    @Option(help: "Threads for the engine.")
    var threads: Int = 2

    @Option(help: "Charset preset or file the lines are rendered from.")
    var charset = "gb2312"

    @Option(help: "A folder of extra fonts.")
    var fontDir: String?

    @Option(parsing: .upToNextOption, help: "Top-k kept fractions to measure.")
    var k: [Double] = [0.01, 0.001]

    @Flag(help: "Measure a synthetic gradient with the seed layout instead of a real one.")
    var synthetic = false

    @Option(help: "Synthetic only: number of parameters; default the seed preset's layout (23.6 M).")
    var params: Int?

    @Flag(help: "Synthetic only: featureless positions instead of a row-structured output layer.")
    var unstructured = false

    @Option(help: "Encode/decode repetitions per codec (best time is reported).")
    var repeats: Int = 2

    func validate() throws {
        if let params, params < 1 { throw ValidationError("--params must be positive, got \(params)") }
        if classes < 2 { throw ValidationError("--classes must be at least 2 (class 0 is the blank), got \(classes)") }
        if repeats < 1 { throw ValidationError("--repeats must be positive, got \(repeats)") }
        for value in k where !(value > 0 && value <= 1) {
            throw ValidationError("--k values must lie in (0, 1], got \(value)")
        }
        guard ModelPreset(rawValue: preset) != nil else {
            throw ValidationError("--preset \(preset) is unknown; use one of \(ModelPreset.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard ModelConfig.isValidWidth(width) else { throw ValidationError("--width must be a multiple of 4 and at least 16, got \(width)") }
        guard batch >= 1, steps >= 1, threads >= 1 else { throw ValidationError("--batch, --steps and --threads must be positive") }
        guard warmupSteps >= 0 else { throw ValidationError("--warmup-steps must be non-negative, got \(warmupSteps)") }
    }

    func run() throws {
        if synthetic { try runSynthetic(); return }
        let config = ModelPreset(rawValue: preset)!.config(classes: classes)
        let model = CRNNModel(config: config, seed: 1, threads: threads)
        model.zeroInfinity = true
        let source = try SyntheticSource(charset: try Charset.named(charset), fonts: try FontSet.load(fontDirectory: fontDir),
                                         width: width, height: 32)
        let layout = BenchmarkGradient.layout(of: model)
        let names = (model.parameters.layout.slices + model.buffers.layout.slices).map(\.name)
        let optimizer = Adam(layout: model.parameters.layout)
        print("gradient: REAL, preset \(preset), \(classes) classes, \(model.parameters.count) parameters + "
              + "\(model.buffers.count) BN statistics in \(layout.count) tensors; batch \(batch) lines 32×\(width) "
              + "rendered from \(charset), labels hashed over 1..<\(classes); Adam lr 1e-3 between steps")
        for step in 0..<(warmupSteps + steps) {
            let data = BenchmarkGradient.batch(source: source, classes: classes, count: batch, first: UInt64(step * batch))
            let started = DispatchTime.now().uptimeNanoseconds
            let (wire, loss) = try BenchmarkGradient.step(model: model, images: data.images, targets: data.targets)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            if step >= warmupSteps {
                print(String(format: "\nstep %d: loss %.3f, %.2f s", step + 1, loss, seconds))
                print("L2 energy by tensor: " + Self.energyShares(wire, names: names, layout: layout))
                print("-- wire arena as pushed (gradient + BN running-statistics change):")
                try measure(wire, layout: layout)
                // The BN statistics' change can dwarf the gradient's norm; the energy a codec keeps of
                // the gradient itself is what error feedback has to make up for.
                print("-- parameter gradient alone (\(model.parameters.count) values):")
                try measure(Array(wire[0..<model.parameters.count]), layout: Array(layout[0..<model.parameters.layout.slices.count]))
            } else if (step + 1) % 10 == 0 {
                print(String(format: "warm-up step %d: loss %.3f", step + 1, loss))
            }
            optimizer.step(parameters: model.parameters, gradients: model.gradients, learningRate: 1e-3)
        }
    }

    private func runSynthetic() throws {
        let layout = params.map(Self.layout(params:)) ?? SeedLayout.sizes(classes: classes)
        print("gradient: SYNTHETIC, \(layout.reduce(0, +)) values in \(layout.count) tensors, "
              + (unstructured ? "featureless positions" : "row-structured output layer"))
        try measure(SyntheticGradient.make(layout: layout, structured: !unstructured), layout: layout)
    }

    private func measure(_ gradient: [Float], layout: [Int]) throws {
        let count = gradient.count
        let below = gradient.lazy.filter { $0 != 0 && abs($0) < 6.103_515_6e-5 }.count
        let zeros = gradient.lazy.filter { $0 == 0 }.count
        print(String(format: "values below fp16's normal range: %.1f %%, exact zeros: %.1f %%; raw fp32: %.1f MB",
                     100 * Double(below) / Double(count), 100 * Double(zeros) / Double(count), Double(count * 4) / 1e6))
        let results = try CodecBenchmark.run(
            gradient: gradient, layout: layout, codecs: CodecBenchmark.defaultCodecs(ks: k), repeats: repeats)
        print("codec                        bytes/update   ratio   encode MB/s  decode MB/s  energy kept")
        for r in results {
            print(r.label.padding(toLength: 28, withPad: " ", startingAt: 0)
                  + String(format: " %12d %8.1fx %11.0f %12.0f %11.4f %%",
                           r.bytes, r.ratio, r.encodeMBps, r.decodeMBps, 100 * r.energyKept))
        }
    }

    /// The tensors holding most of the gradient's squared L2 norm, largest first.
    static func energyShares(_ gradient: [Float], names: [String], layout: [Int], top: Int = 5) -> String {
        var offset = 0
        var energies: [(name: String, energy: Double, size: Int)] = []
        for (name, size) in zip(names, layout) {
            let energy = gradient[offset..<offset + size].reduce(0.0) { $0 + Double($1) * Double($1) }
            energies.append((name, energy, size))
            offset += size
        }
        let total = max(energies.reduce(0) { $0 + $1.energy }, .leastNonzeroMagnitude)
        return energies.sorted { $0.energy > $1.energy }.prefix(top).map {
            "\($0.name) " + String(format: "%.1f %% (%d values)", 100 * $0.energy / total, $0.size)
        }.joined(separator: ", ")
    }

    /// A layout of `params` values in seed-preset proportions, for quick runs.
    static func layout(params: Int) -> [Int] {
        let seed = SeedLayout.sizes()
        let total = seed.reduce(0, +)
        var sizes = seed.map { max(1, $0 * params / total) }
        sizes[sizes.count - 1] += params - sizes.reduce(0, +)
        if sizes[sizes.count - 1] < 1 { return [params] }
        return sizes
    }
}
