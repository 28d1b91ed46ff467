import ArgumentParser
import Benchmarks
import Coordinator
import Engine
import Foundation
import Store
import TextImages
import Wire

/// `crnnctl bench pulls`: bytes per pull on real training, exact against delta pulls.
///
/// One worker's real gradients (the preset's model on rendered lines, labels hashed into the
/// classes) pushed losslessly into a real `ParameterServerCore` (Adam), which takes one step per
/// push; the worker pulls from the server's real `PullAnswers` every `--pull-every` versions, as
/// a worker among that many would, and trains on what the server holds. What a pull weighs is
/// printed per pull; the summary compares the steady state (after `--warmup-steps`) with the
/// whole arena as exact pulls send it.
struct BenchPullsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pulls",
        abstract: "Bytes per pull on real training: the whole arena against delta pulls.")

    @Option(help: "Model preset: \(ModelPreset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var preset: String = "seed"

    @Option(help: "Output classes including the blank.")
    var classes: Int = 30_657

    @Option(help: "Charset preset or file the lines are rendered from.")
    var charset = "gb2312"

    @Option(help: "Lines per step.")
    var batch: Int = 8

    @Option(help: "Image width in pixels (a multiple of 4, at least 16); the height is 32.")
    var width: Int = 128

    @Option(help: "Measured server versions (optimiser steps).")
    var steps: Int = 40

    @Option(help: "Steps before the measurement (the model leaves its initialisation).")
    var warmupSteps: Int = 10

    @Option(help: "The worker pulls every this many versions (the versions other workers' pushes add between its pulls).")
    var pullEvery: Int = 4

    @OptionGroup var pulls: PullOptions

    @Option(help: "Adam's learning rate on the server.")
    var lr: Double = 1e-3

    @Option(help: "Threads for training and the optimiser.")
    var threads: Int = 2

    @Option(help: "A folder of extra fonts.")
    var fontDir: String?

    func validate() throws {
        guard ModelPreset(rawValue: preset) != nil else {
            throw ValidationError("--preset \(preset) is unknown; use one of \(ModelPreset.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard classes >= 2 else { throw ValidationError("--classes must be at least 2 (class 0 is the blank), got \(classes)") }
        guard !pulls.isExact else {
            throw ValidationError("bench pulls compares delta pulls with exact ones: name the delta codec with --pull-codec (\(PullOptions.deltaCodecs.joined(separator: ", ")))")
        }
        guard batch >= 1, steps >= 1, threads >= 1, pullEvery >= 1 else {
            throw ValidationError("--batch, --steps, --threads and --pull-every must be positive")
        }
        guard warmupSteps >= 0 else { throw ValidationError("--warmup-steps must be non-negative, got \(warmupSteps)") }
        guard lr > 0 else { throw ValidationError("--lr must be positive, got \(lr)") }
        guard ModelConfig.isValidWidth(width) else { throw ValidationError("--width must be a multiple of 4 and at least 16, got \(width)") }
    }

    func run() throws {
        let config = ModelPreset(rawValue: preset)!.config(classes: classes)
        let worker = CRNNModel(config: config, seed: 1, threads: threads)
        worker.zeroInfinity = true
        let server = CRNNModel(config: config, seed: 1, threads: threads)
        let core = ParameterServerCore(
            model: server, optimizer: Adam(layout: server.parameters.layout), schedule: LearningRateSchedule(baseRate: Float(lr)),
            staleness: StalenessRule(bound: 1 << 20, policy: .downweight), samplesPerEpoch: 1 << 30)
        defer { core.stop() }
        let answers = PullAnswers(core: core, policy: try pulls.policy())
        let exact = PullAnswers(core: core)
        let layout = BenchmarkGradient.layout(of: worker)
        let source = try SyntheticSource(charset: try Charset.named(charset), fonts: try FontSet.load(fontDirectory: fontDir),
                                         width: width, height: 32)
        print("preset \(preset), \(classes) classes, wire arena \(core.wireCount) values; batch \(batch) lines 32×\(width) "
              + "from \(charset); server Adam lr \(lr), one step per push; the worker pulls every \(pullEvery) versions; "
              + "pulls: " + pulls.summary)
        var since = Pull.none, anchor = Pull.none
        var measured: [(bytes: Int, exact: Int, anchor: Bool)] = []
        let lossless = FP32ZstdCodec()
        for step in 0..<(warmupSteps + steps) {
            // The worker trains on the parameters it pulled: exact ones, so the gradients are real.
            if step % pullEvery == 0 {
                let params = try answers.answer(sinceVersion: since, anchorVersion: anchor, reuseRecent: false)
                let whole = try exact.answer(sinceVersion: Pull.none, reuseRecent: false)
                if params.encoding != .unchanged {
                    since = params.version
                    anchor = params.anchorVersion
                }
                if step >= warmupSteps {
                    measured.append((params.byteCount, whole.byteCount, params.encoding == .anchorAndDelta))
                    print(String(format: "version %5d: pull %10d B (%@), the whole arena %10d B: %6.1f× smaller",
                                 params.version, params.byteCount,
                                 params.encoding == .anchorAndDelta ? "anchor + \(params.increments.count) publications"
                                    : "\(params.increments.count) publication(s)",
                                 whole.byteCount, Double(whole.byteCount) / Double(max(1, params.byteCount))))
                }
                core.withExclusiveModel { model, _ in
                    worker.parameters.copy(from: model.parameters)
                    worker.buffers.copy(from: model.buffers)
                }
            }
            let data = BenchmarkGradient.batch(source: source, classes: classes, count: batch, first: UInt64(step * batch))
            let (wire, loss) = try BenchmarkGradient.step(model: worker, images: data.images, targets: data.targets)
            let payload = try lossless.encode(wire, layout: layout)
            let outcome = try payload.withUnsafeBytes {
                try core.apply(payload: $0, codec: lossless, baseVersion: core.version, sampleCount: batch)
            }
            if !outcome.applied { throw PSBenchmarkError.pushRefused(outcome.reason) }
            if (step + 1) % 10 == 0 { print(String(format: "step %d: loss %.3f", step + 1, loss)) }
        }
        let steady = measured.filter { !$0.anchor }
        guard !steady.isEmpty else { print("no delta pull in the measured steps: raise --steps"); return }
        let mean = Double(steady.reduce(0) { $0 + $1.bytes }) / Double(steady.count)
        let whole = Double(steady.reduce(0) { $0 + $1.exact }) / Double(steady.count)
        let all = Double(measured.reduce(0) { $0 + $1.bytes }) / Double(measured.count)
        print(String(format: "steady state: %d delta pulls, %.0f B each on average against %.0f B for the whole arena: %.1f× smaller "
                     + "(%.1f× counting the %d anchor pull(s) measured)",
                     steady.count, mean, whole, whole / mean, whole / all, measured.count - steady.count))
    }
}
