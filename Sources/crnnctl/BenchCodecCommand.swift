import ArgumentParser
import Foundation
import Wire

/// `crnnctl bench codec`: bytes per update and encode/decode speed of every gradient codec.
///
/// Until the engine can produce a real gradient of the seed preset, this runs on a synthetic
/// gradient with the seed preset's tensor sizes and heavy-tailed values (see
/// `SyntheticGradient`); the output says so.
struct BenchCodecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec",
        abstract: "Bytes per update and MB/s for every gradient codec.")

    @Option(help: "Number of parameters; default: the seed preset's tensor layout (23.6 M).")
    var params: Int?

    @Option(help: "Output classes of the seed layout.")
    var classes: Int = 30_657

    @Option(parsing: .upToNextOption, help: "Top-k kept fractions to measure.")
    var k: [Double] = [0.01, 0.001]

    @Flag(help: "Featureless positions instead of a row-structured output layer.")
    var unstructured = false

    @Option(help: "Encode/decode repetitions per codec (best time is reported).")
    var repeats: Int = 2

    func validate() throws {
        if let params, params < 1 { throw ValidationError("--params must be positive, got \(params)") }
        if classes < 1 { throw ValidationError("--classes must be positive, got \(classes)") }
        if repeats < 1 { throw ValidationError("--repeats must be positive, got \(repeats)") }
        for value in k where !(value > 0 && value <= 1) {
            throw ValidationError("--k values must lie in (0, 1], got \(value)")
        }
    }

    func run() throws {
        let layout = params.map(Self.layout(params:)) ?? SeedLayout.sizes(classes: classes)
        let count = layout.reduce(0, +)
        print("gradient: SYNTHETIC (the engine's real gradient is not wired in yet), "
              + "\(count) values in \(layout.count) tensors, "
              + (unstructured ? "featureless positions" : "row-structured output layer"))
        let gradient = SyntheticGradient.make(layout: layout, structured: !unstructured)
        let below = gradient.lazy.filter { $0 != 0 && abs($0) < 6.103_515_6e-5 }.count
        print(String(format: "values below fp16's normal range: %.1f %%; raw fp32: %.1f MB",
                     100 * Double(below) / Double(count), Double(count * 4) / 1e6))
        let results = try CodecBenchmark.run(
            gradient: gradient, layout: layout, codecs: CodecBenchmark.defaultCodecs(ks: k), repeats: repeats)
        print("codec                        bytes/update   ratio   encode MB/s  decode MB/s  energy kept")
        for r in results {
            print(r.label.padding(toLength: 28, withPad: " ", startingAt: 0)
                  + String(format: " %12d %8.1fx %11.0f %12.0f %11.4f %%",
                           r.bytes, r.ratio, r.encodeMBps, r.decodeMBps, 100 * r.energyKept))
        }
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
