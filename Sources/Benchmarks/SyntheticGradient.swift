import Engine
import Foundation
import Wire

/// A synthetic gradient with the shape and rough statistics of the seed CRNN's, for codec
/// benchmarks until a real gradient arena from the engine is passed in.
///
/// Statistics (ARCHITECTURE §3, §4): 23.6 M parameters, 66.5 % in the output Linear; values are
/// Laplace noise times a log-normal scale (σ = 1.8), heavy-tailed like real gradients, whose
/// top 1 % holds about 95 % of the L2 energy; per-tensor scales spread over 1e-8…1e-2 (the
/// output layer at 3e-6), so most values fall below fp16's normal range. With `structured`, the output
/// layer's rows for the ~1.5 % of classes present in a batch carry 30× larger gradients than
/// the rest (CTC pushes the classes it saw); without it, positions are featureless, which is
/// the worst case for index coding.

/// Named tensor sizes of the `seed` preset (PyTorch order: conv+BN stack, 2 BiGRU, Linear).
public enum SeedLayout {
    /// (name, size) for every trainable tensor.
    public static func tensors(classes: Int = 30_657) -> [(name: String, size: Int)] {
        var list: [(String, Int)] = []
        let convs: [(cin: Int, cout: Int, kernel: Int, batchNorm: Bool)] = [
            (1, 64, 3, false), (64, 128, 3, false), (128, 256, 3, false), (256, 256, 3, false),
            (256, 512, 3, true), (512, 512, 3, true), (512, 512, 2, false),
        ]
        for (i, c) in convs.enumerated() {
            list.append(("cnn.conv\(i).weight", c.cout * c.cin * c.kernel * c.kernel))
            list.append(("cnn.conv\(i).bias", c.cout))
            if c.batchNorm {
                list.append(("cnn.batchnorm\(i).weight", c.cout))
                list.append(("cnn.batchnorm\(i).bias", c.cout))
            }
        }
        for layer in 0..<2 {
            for suffix in ["", "_reverse"] {
                list.append(("rnn.weight_ih_l\(layer)\(suffix)", 3 * 256 * 512))
                list.append(("rnn.weight_hh_l\(layer)\(suffix)", 3 * 256 * 256))
                list.append(("rnn.bias_ih_l\(layer)\(suffix)", 3 * 256))
                list.append(("rnn.bias_hh_l\(layer)\(suffix)", 3 * 256))
            }
        }
        list.append(("fc.weight", classes * 512))
        list.append(("fc.bias", classes))
        return list
    }

    /// Just the sizes.
    public static func sizes(classes: Int = 30_657) -> [Int] { tensors(classes: classes).map(\.size) }
}

/// Deterministic synthetic gradients.
public enum SyntheticGradient {
    /// A gradient for `layout`, reproducible from `seed`.
    ///
    /// - Parameters:
    ///   - structured: make the last weight tensor (the output layer, rows of 512) row-sparse
    ///     as a CTC gradient is; otherwise every position is independent.
    public static func make(layout: [Int], seed: UInt64 = 42, structured: Bool = true) -> [Float] {
        var rng = SplitMix64(seed: seed)
        var gradient = [Float](repeating: 0, count: layout.reduce(0, +))
        let outputWeight = layout.count >= 2 ? layout.count - 2 : -1
        gradient.withUnsafeMutableBufferPointer { g in
            var offset = 0
            for (tensor, size) in layout.enumerated() {
                // Golden-ratio steps spread the scales evenly over 1e-8…1e-2 in log space.
                let spread = (Double(tensor) * 0.618_033_988_75).truncatingRemainder(dividingBy: 1)
                let scale = Float(tensor == outputWeight ? 3e-6 : pow10(-8 + 6 * spread))
                let rowLength = 512
                let rowed = structured && tensor == outputWeight && size % rowLength == 0
                var rowScale = scale
                for i in 0..<size {
                    if rowed && i % rowLength == 0 {
                        rowScale = rng.nextUnit() < 0.015 ? scale * 30 : scale
                    }
                    g[offset + i] = rowScale * rng.nextLaplace() * Float(exp(1.8 * rng.nextGaussian()))
                }
                offset += size
            }
        }
        return gradient
    }

    private static func pow10(_ x: Double) -> Double { exp(x * 2.302_585_092_994_046) }
}

/// Benchmark data from the engine's generator (`Engine.SplitMix64`).
extension SplitMix64 {
    /// Uniform in (0, 1).
    mutating func nextUnit() -> Double { (Double(next() >> 11) + 0.5) / Double(1 << 53) }

    /// Standard normal (Box–Muller; one of the pair is enough here).
    mutating func nextGaussian() -> Double {
        let u = nextUnit(), v = nextUnit()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }

    /// Standard Laplace: heavier tails than a Gaussian, like real gradients.
    mutating func nextLaplace() -> Float {
        let bits = next()
        let u = (Double(bits >> 12) + 0.5) / Double(1 << 52)
        let magnitude = Float(-log(u))
        return bits & 1 == 0 ? magnitude : -magnitude
    }
}
