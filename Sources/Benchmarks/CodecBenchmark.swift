import Foundation
import Wire

/// Measures every gradient codec on one gradient arena: size, speed, and how much of the
/// gradient survives. The gradient can be synthetic (`SyntheticGradient`) or a real arena
/// from the engine.

/// One codec's figures on one gradient.
public struct CodecMeasurement: Sendable {
    /// Codec name, with k for top-k codecs.
    public var label: String
    /// Encoded payload size in bytes.
    public var bytes: Int
    /// Raw fp32 size divided by `bytes`.
    public var ratio: Double
    /// Best-of-repeats encode and decode times, seconds.
    public var encodeSeconds: Double
    public var decodeSeconds: Double
    /// Raw fp32 megabytes (1e6 bytes) per second through encode and decode.
    public var encodeMBps: Double
    public var decodeMBps: Double
    /// Fraction of the gradient's squared L2 norm carried by the decoded payload:
    /// 1 − ‖g − decoded‖² / ‖g‖². The rest stays in the error-feedback residual.
    public var energyKept: Double
}

/// Runs the codec benchmark.
public enum CodecBenchmark {
    /// The codecs the benchmark compares: every named codec, top-k at each fraction in `ks`.
    public static func defaultCodecs(ks: [Double]) throws -> [any GradientCodec] {
        var codecs: [any GradientCodec] = [FP32ZstdCodec(), HalfZstdCodec(format: .fp16), HalfZstdCodec(format: .bf16)]
        for k in ks {
            codecs.append(try TopKCodec(fraction: k, values: .fp16))
            codecs.append(try TopKCodec(fraction: k, values: .bf16))
        }
        return codecs
    }

    /// Encodes and decodes `gradient` with each codec `repeats` times.
    ///
    /// - Parameters:
    ///   - gradient: a gradient arena (tensors back to back, in `layout` order).
    ///   - layout: the tensor sizes; they must sum to `gradient.count`.
    /// - Throws: codec errors (a non-finite gradient).
    public static func run(
        gradient: [Float], layout: [Int], codecs: [any GradientCodec], repeats: Int = 2
    ) throws -> [CodecMeasurement] {
        let rawBytes = Double(gradient.count * MemoryLayout<Float>.size)
        let energy = gradient.reduce(0.0) { $0 + Double($1) * Double($1) }
        var decoded = [Float](repeating: 0, count: gradient.count)
        var results: [CodecMeasurement] = []
        let clock = ContinuousClock()
        for codec in codecs {
            var payload: [UInt8] = []
            var encodeTime = Double.infinity, decodeTime = Double.infinity
            for _ in 0..<max(1, repeats) {
                let start = clock.now
                payload = try codec.encode(gradient, layout: layout)
                let encoded = clock.now
                try codec.decode(payload, into: &decoded)
                let end = clock.now
                encodeTime = min(encodeTime, seconds(encoded - start))
                decodeTime = min(decodeTime, seconds(end - encoded))
            }
            var lost = 0.0
            for i in 0..<gradient.count {
                let d = Double(gradient[i]) - Double(decoded[i])
                lost += d * d
            }
            let label = (codec as? TopKCodec).map { "\($0.name) k=\($0.fraction)" } ?? codec.name
            results.append(CodecMeasurement(
                label: label, bytes: payload.count, ratio: rawBytes / Double(payload.count),
                encodeSeconds: encodeTime, decodeSeconds: decodeTime,
                encodeMBps: rawBytes / 1e6 / encodeTime, decodeMBps: rawBytes / 1e6 / decodeTime,
                energyKept: energy > 0 ? 1 - lost / energy : 1))
        }
        return results
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
