// Shared helpers for the sequence-layer tests (Linear, GRU, LSTM, CTC): a seeded generator and a
// central finite-difference check. Named apart from the conv tests' helper so both can coexist.

/// xorshift64*, seeded: every test draws the same numbers on every run, so a failure reproduces.
struct SequenceRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    mutating func next() -> UInt64 {
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }

    /// Uniform in [-scale, scale).
    mutating func uniform(_ scale: Float = 1) -> Float {
        Float(Double(next() >> 11) / Double(1 << 53) * 2 - 1) * scale
    }

    mutating func array(_ count: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in uniform(scale) }
    }

    mutating func int(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// The worst mismatch between an analytic gradient and central differences.
struct GradientMismatch: CustomStringConvertible {
    var index = -1
    var analytic: Double = 0
    var numeric: Double = 0
    /// |analytic − numeric| / (atol + rtol·|numeric|): the check passes below 1.
    var ratio: Double = 0

    var description: String {
        "worst at \(index): analytic \(analytic) vs numeric \(numeric) (ratio \(ratio))"
    }
}

/// Compares `analytic` (d loss / d values) with central differences of `loss` around `values`.
///
/// Each value is perturbed by ±`epsilon` in Float (the layers compute in Float) and the loss is
/// summed in Double by the caller, so the rounding noise of a difference stays near
/// 1e-7·|loss|/epsilon. `indices` limits the check to a subset of large buffers.
func checkGradient(
    _ values: inout [Float], analytic: [Float], indices: [Int]? = nil,
    epsilon: Float = 1e-2, atol: Double = 2e-3, rtol: Double = 2e-2,
    loss: (inout [Float]) -> Double
) -> GradientMismatch {
    var worst = GradientMismatch()
    for i in indices ?? Array(values.indices) {
        let saved = values[i]
        values[i] = saved + epsilon
        let plus = loss(&values)
        values[i] = saved - epsilon
        let minus = loss(&values)
        values[i] = saved
        let numeric = (plus - minus) / (2 * Double(epsilon))
        let a = Double(analytic[i])
        let ratio = abs(a - numeric) / (atol + rtol * abs(numeric))
        if ratio > worst.ratio || worst.index < 0 {
            worst = GradientMismatch(index: i, analytic: a, numeric: numeric, ratio: ratio)
        }
    }
    return worst
}

/// Σ w_i·y_i in Double: a scalar loss whose gradient w.r.t. y is exactly `w`.
func weightedSum(_ y: [Float], _ w: [Float]) -> Double {
    var s: Double = 0
    for i in y.indices { s += Double(y[i]) * Double(w[i]) }
    return s
}
