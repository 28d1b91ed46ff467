// Finite-difference helpers shared by the layer tests.
//
// Every check projects the layer output onto a fixed random direction r, L = Σ y·r (summed in
// Double), so dL/dy = r, and compares the analytic gradient with the central difference
// (L(θ+ε) − L(θ−ε)) / 2ε. The layers run in Float, so ε is large (1e-2) and the tolerance is
// |analytic − numeric| ≤ 2e-3 + 1e-2·|numeric|: Float rounding of L is about 1e-7·|L|/ε.
@testable import Engine

/// Deterministic values in [-1, 1] (xorshift), so a failure reproduces.
func randomFloats(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<count).map { _ in
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return scale * (Float(state % 2_000_001) / 1_000_000 - 1)
    }
}

/// Σ a·b in Double.
func dot(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

/// The largest violation of |a − n| ≤ abs + rel·|n| over the elements, as a ratio (≤ 1 passes),
/// checking at most `limit` evenly spread elements to keep tests quick.
func gradientMismatch(
    of value: inout [Float], analytic: [Float], eps: Float = 1e-2,
    abs absTol: Double = 2e-3, rel: Double = 1e-2, limit: Int = 60,
    loss: (_ value: [Float]) -> Double
) -> Double {
    precondition(value.count == analytic.count)
    let step = max(1, value.count / limit)
    var worst = 0.0
    for i in stride(from: 0, to: value.count, by: step) {
        let saved = value[i]
        value[i] = saved + eps
        let plus = loss(value)
        value[i] = saved - eps
        let minus = loss(value)
        value[i] = saved
        let numeric = (plus - minus) / (2 * Double(eps))
        let err = Swift.abs(Double(analytic[i]) - numeric) / (absTol + rel * Swift.abs(numeric))
        worst = max(worst, err)
    }
    return worst
}
