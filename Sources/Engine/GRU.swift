// Gated recurrent unit, PyTorch's nn.GRU (one layer), one direction or bidirectional.
//
// Shapes (row-major, time-major sequences):
//   T time steps, N batch, I input size, H hidden size, G = 3H (gates r, z, n in that order)
//   x [T×N×I]   y [T×N×H] per direction (bidirectional: [T×N×2H], forward first, reverse second)
//   h0, hN [N×H] per direction (bidirectional: [2×N×H], forward then reverse, like PyTorch)
//   weight_ih [G×I]  weight_hh [G×H]  bias_ih [G]  bias_hh [G]
//
//   r = σ(W_ir x + b_ir + W_hr h + b_hr)     z = σ(W_iz x + b_iz + W_hz h + b_hz)
//   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))        h' = (1 − z) ⊙ n + z ⊙ h
//
// The input projections of all T steps are ONE gemm (T·N × G); only h·W_hhᵀ remains per step.
// Backward collects the gate gradients of every step and turns them into dW_ih, dW_hh and dx with
// three more tall gemms, so the per-step work is one N×H×G gemm plus elementwise loops.
import Foundation

/// The four parameter tensors of one GRU direction, PyTorch layout and order.
public struct GRUWeights {
    public var weightIH: UnsafePointer<Float>  // [3H×I]
    public var weightHH: UnsafePointer<Float>  // [3H×H]
    public var biasIH: UnsafePointer<Float>    // [3H]
    public var biasHH: UnsafePointer<Float>    // [3H]

    public init(weightIH: UnsafePointer<Float>, weightHH: UnsafePointer<Float>,
                biasIH: UnsafePointer<Float>, biasHH: UnsafePointer<Float>) {
        self.weightIH = weightIH; self.weightHH = weightHH
        self.biasIH = biasIH; self.biasHH = biasHH
    }

    /// The tensors laid out back to back in PyTorch's `named_parameters()` order
    /// (weight_ih, weight_hh, bias_ih, bias_hh) from `base`, as in a parameter arena.
    public init(_ base: UnsafePointer<Float>, I: Int, H: Int) {
        let p = GRUWeights.offsets(I: I, H: H)
        self.init(weightIH: base, weightHH: base + p.hh, biasIH: base + p.bih, biasHH: base + p.bhh)
    }

    /// Floats taken by one direction's parameters.
    public static func parameterCount(I: Int, H: Int) -> Int { 3 * H * (I + H + 2) }

    static func offsets(I: Int, H: Int) -> (hh: Int, bih: Int, bhh: Int) {
        (3 * H * I, 3 * H * (I + H), 3 * H * (I + H + 1))
    }
}

/// Gradient buffers of one GRU direction, same layout as `GRUWeights`; backward accumulates.
public struct GRUGradients {
    public var weightIH: UnsafeMutablePointer<Float>
    public var weightHH: UnsafeMutablePointer<Float>
    public var biasIH: UnsafeMutablePointer<Float>
    public var biasHH: UnsafeMutablePointer<Float>

    public init(weightIH: UnsafeMutablePointer<Float>, weightHH: UnsafeMutablePointer<Float>,
                biasIH: UnsafeMutablePointer<Float>, biasHH: UnsafeMutablePointer<Float>) {
        self.weightIH = weightIH; self.weightHH = weightHH
        self.biasIH = biasIH; self.biasHH = biasHH
    }

    /// Carves the four gradients from `base` in the same order as `GRUWeights.init(_:I:H:)`.
    public init(_ base: UnsafeMutablePointer<Float>, I: Int, H: Int) {
        let p = GRUWeights.offsets(I: I, H: H)
        self.init(weightIH: base, weightHH: base + p.hh, biasIH: base + p.bih, biasHH: base + p.bhh)
    }
}

/// Activations one direction keeps from forward for backward, carved from one caller-owned block.
///
/// Backward CONSUMES the cache: it reuses `inputGates` and `hiddenGates` as scratch for the gate
/// gradients, so run forward again before a second backward.
public struct GRUCache {
    public let T: Int, N: Int, H: Int
    var inputGates: UnsafeMutablePointer<Float>   // [T×N×3H] x·W_ihᵀ + b_ih, then dL/d(that)
    var hiddenGates: UnsafeMutablePointer<Float>  // [T×N×3H] h·W_hhᵀ + b_hh, then dL/d(that)
    var gates: UnsafeMutablePointer<Float>        // [T×N×3H] r, z, n after their nonlinearity
    var h: UnsafeMutablePointer<Float>            // [T×N×H]  hidden state after each step
    var dh: UnsafeMutablePointer<Float>           // [N×H]    backward: dL/dh of the current step
    var dhNext: UnsafeMutablePointer<Float>       // [N×H]    backward: dL/dh of the step before

    /// Floats `init(_:T:N:H:)` needs.
    public static func floatCount(T: Int, N: Int, H: Int) -> Int { 10 * T * N * H + 2 * N * H }

    public init(_ base: UnsafeMutablePointer<Float>, T: Int, N: Int, H: Int) {
        self.T = T; self.N = N; self.H = H
        let gateCount = T * N * 3 * H
        inputGates = base
        hiddenGates = base + gateCount
        gates = base + 2 * gateCount
        h = base + 3 * gateCount
        dh = h + T * N * H
        dhNext = dh + N * H
    }
}

/// One direction's forward pass over the whole sequence.
///
/// - Parameters:
///   - y: hidden state of every step, row (t, n) at `y + (t·N + n)·ldy` (H floats); overwritten.
///   - ldy: row stride of `y`: H alone, 2H inside a bidirectional output.
///   - hN: final state [N×H] (after step T−1, or step 0 when `reverse`), or nil.
///   - x: input [T×N×I].
///   - h0: initial state [N×H], or nil for zeros.
///   - reverse: run from t = T−1 down to 0 (the `_reverse` direction).
public func gruForward(
    y: UnsafeMutablePointer<Float>, ldy: Int, hN: UnsafeMutablePointer<Float>?,
    x: UnsafePointer<Float>, h0: UnsafePointer<Float>?,
    weights: GRUWeights, cache: GRUCache, reverse: Bool,
    T: Int, N: Int, I: Int, H: Int
) {
    precondition(cache.T >= T && cache.N == N && cache.H == H, "gruForward: cache sized for other dims")
    let G = 3 * H, NH = N * H
    broadcastRows(cache.inputGates, weights.biasIH, rows: T * N, width: G)
    gemm(transB: true, m: T * N, n: G, k: I, a: x, b: weights.weightIH, beta: 1, c: cache.inputGates)

    for s in 0..<T {
        let t = reverse ? T - 1 - s : s
        let hPrev = s == 0 ? h0 : UnsafePointer(cache.h + (reverse ? t + 1 : t - 1) * NH)
        let xg = cache.inputGates + t * N * G, hg = cache.hiddenGates + t * N * G
        let act = cache.gates + t * N * G, hOut = cache.h + t * NH
        broadcastRows(hg, weights.biasHH, rows: N, width: G)
        if let hPrev {
            gemm(transB: true, m: N, n: G, k: H, a: hPrev, b: weights.weightHH, beta: 1, c: hg)
        }
        for n in 0..<N {
            let o = n * G
            for j in 0..<H {
                let r = sigmoid(xg[o + j] + hg[o + j])
                let z = sigmoid(xg[o + H + j] + hg[o + H + j])
                let c = tanhGate(xg[o + 2 * H + j] + r * hg[o + 2 * H + j])
                let prev = hPrev?[n * H + j] ?? 0
                let hv = (1 - z) * c + z * prev
                act[o + j] = r; act[o + H + j] = z; act[o + 2 * H + j] = c
                hOut[n * H + j] = hv
                y[(t * N + n) * ldy + j] = hv
            }
        }
    }
    if let hN { copyFinalState(hN, cache: cache.h, h0: h0, last: reverse ? 0 : T - 1, T: T, count: NH) }
}

/// One direction's backward pass (BPTT). ACCUMULATES into `dx`, `dh0` and `gradients`.
///
/// - Parameters:
///   - dx: [T×N×I], accumulated; nil when the input needs no gradient.
///   - dh0: [N×H], accumulated; nil when `h0` needs no gradient.
///   - dy: upstream gradient of `y`, same strided layout as forward's `y`; nil for none.
///   - dhN: upstream gradient of the final state [N×H]; nil for none.
///   - x, h0: the forward inputs.
///   - cache: the forward's cache (consumed, see `GRUCache`).
public func gruBackward(
    dx: UnsafeMutablePointer<Float>?, dh0: UnsafeMutablePointer<Float>?, gradients: GRUGradients,
    dy: UnsafePointer<Float>?, ldy: Int, dhN: UnsafePointer<Float>?,
    x: UnsafePointer<Float>, h0: UnsafePointer<Float>?,
    weights: GRUWeights, cache: GRUCache, reverse: Bool,
    T: Int, N: Int, I: Int, H: Int
) {
    precondition(cache.T >= T && cache.N == N && cache.H == H, "gruBackward: cache sized for other dims")
    let G = 3 * H, NH = N * H
    var dh = cache.dh, dhNext = cache.dhNext
    if let dhN { dh.update(from: dhN, count: NH) } else { dh.update(repeating: 0, count: NH) }

    for s in stride(from: T - 1, through: 0, by: -1) {
        let t = reverse ? T - 1 - s : s
        let hPrev = s == 0 ? h0 : UnsafePointer(cache.h + (reverse ? t + 1 : t - 1) * NH)
        let dxg = cache.inputGates + t * N * G, dhg = cache.hiddenGates + t * N * G
        let act = cache.gates + t * N * G
        for n in 0..<N {
            let o = n * G
            for j in 0..<H {
                let g = dh[n * H + j] + (dy?[(t * N + n) * ldy + j] ?? 0)
                let r = act[o + j], z = act[o + H + j], c = act[o + 2 * H + j]
                let hn = dhg[o + 2 * H + j]  // W_hn h + b_hn, read before it is overwritten
                let prev = hPrev?[n * H + j] ?? 0
                let dc = g * (1 - z) * (1 - c * c)
                let dr = dc * hn * r * (1 - r)
                let dz = g * (prev - c) * z * (1 - z)
                dxg[o + j] = dr; dxg[o + H + j] = dz; dxg[o + 2 * H + j] = dc
                dhg[o + j] = dr; dhg[o + H + j] = dz; dhg[o + 2 * H + j] = dc * r
                dhNext[n * H + j] = g * z
            }
        }
        if s > 0 || dh0 != nil {
            gemm(m: N, n: H, k: G, a: dhg, b: weights.weightHH, beta: 1, c: dhNext)
        }
        swap(&dh, &dhNext)
    }
    if let dh0 {
        // With T = 0 the final state is h0 itself, so dhN flows straight through.
        for i in 0..<NH { dh0[i] += dh[i] }
    }

    let rows = T * N
    gemm(transA: true, m: G, n: I, k: rows, a: cache.inputGates, b: x, beta: 1, c: gradients.weightIH)
    accumulateRowSum(gradients.biasIH, cache.inputGates, rows: rows, width: G)
    accumulateRowSum(gradients.biasHH, cache.hiddenGates, rows: rows, width: G)
    if let dx {
        gemm(m: rows, n: I, k: G, a: cache.inputGates, b: weights.weightIH, beta: 1, c: dx)
    }
    // dW_hh += Σ_t dhg[t]ᵀ·h_prev[t]: the steps with a stored predecessor form one contiguous block.
    if T > 1 {
        let (gFirst, hFirst) = reverse ? (0, 1) : (1, 0)
        gemm(transA: true, m: G, n: H, k: (T - 1) * N, a: cache.hiddenGates + gFirst * N * G,
             b: cache.h + hFirst * NH, beta: 1, c: gradients.weightHH)
    }
    if let h0, T > 0 {
        let first = reverse ? T - 1 : 0
        gemm(transA: true, m: G, n: H, k: N, a: cache.hiddenGates + first * N * G, b: h0,
             beta: 1, c: gradients.weightHH)
    }
}

// MARK: - Bidirectional

/// The caches of both directions, carved from one block.
public struct BidirectionalGRUCache {
    public var forward: GRUCache, reverse: GRUCache

    public static func floatCount(T: Int, N: Int, H: Int) -> Int {
        2 * GRUCache.floatCount(T: T, N: N, H: H)
    }

    public init(_ base: UnsafeMutablePointer<Float>, T: Int, N: Int, H: Int) {
        forward = GRUCache(base, T: T, N: N, H: H)
        reverse = GRUCache(base + GRUCache.floatCount(T: T, N: N, H: H), T: T, N: N, H: H)
    }
}

/// Bidirectional GRU forward: y [T×N×2H] (forward in the first H, reverse in the second),
/// hN [2×N×H] or nil, h0 [2×N×H] or nil for zeros, like PyTorch's `nn.GRU(bidirectional=True)`.
public func bidirectionalGRUForward(
    y: UnsafeMutablePointer<Float>, hN: UnsafeMutablePointer<Float>?,
    x: UnsafePointer<Float>, h0: UnsafePointer<Float>?,
    forward: GRUWeights, reverse: GRUWeights, cache: BidirectionalGRUCache,
    T: Int, N: Int, I: Int, H: Int
) {
    gruForward(y: y, ldy: 2 * H, hN: hN, x: x, h0: h0, weights: forward,
               cache: cache.forward, reverse: false, T: T, N: N, I: I, H: H)
    gruForward(y: y + H, ldy: 2 * H, hN: hN.map { $0 + N * H }, x: x, h0: h0.map { $0 + N * H },
               weights: reverse, cache: cache.reverse, reverse: true, T: T, N: N, I: I, H: H)
}

/// Bidirectional GRU backward; ACCUMULATES into dx [T×N×I], dh0 [2×N×H] and both gradients.
/// dy [T×N×2H] and dhN [2×N×H] are the upstream gradients (either may be nil).
public func bidirectionalGRUBackward(
    dx: UnsafeMutablePointer<Float>?, dh0: UnsafeMutablePointer<Float>?,
    forwardGradients: GRUGradients, reverseGradients: GRUGradients,
    dy: UnsafePointer<Float>?, dhN: UnsafePointer<Float>?,
    x: UnsafePointer<Float>, h0: UnsafePointer<Float>?,
    forward: GRUWeights, reverse: GRUWeights, cache: BidirectionalGRUCache,
    T: Int, N: Int, I: Int, H: Int
) {
    gruBackward(dx: dx, dh0: dh0, gradients: forwardGradients, dy: dy, ldy: 2 * H, dhN: dhN,
                x: x, h0: h0, weights: forward, cache: cache.forward, reverse: false,
                T: T, N: N, I: I, H: H)
    gruBackward(dx: dx, dh0: dh0.map { $0 + N * H }, gradients: reverseGradients,
                dy: dy.map { $0 + H }, ldy: 2 * H, dhN: dhN.map { $0 + N * H },
                x: x, h0: h0.map { $0 + N * H }, weights: reverse, cache: cache.reverse,
                reverse: true, T: T, N: N, I: I, H: H)
}

// MARK: - Helpers shared with LSTM

/// σ(v) through the libm-free exp of CTC.swift, so the gate loops stay free of calls.
@inline(__always)
func sigmoid(_ v: Float) -> Float { 1 / (1 + polynomialExp(-v)) }

/// tanh(v) = 1 − 2 / (exp(2v) + 1): absolute error ≈ 1e-7 (like any Float op on values ≤ 1),
/// saturating cleanly to ±1 thanks to the clamped exp.
@inline(__always)
func tanhGate(_ v: Float) -> Float { 1 - 2 / (polynomialExp(2 * v) + 1) }

/// hN = the state after the last processed step, or h0 (zeros without one) when T = 0.
@inline(__always)
func copyFinalState(
    _ hN: UnsafeMutablePointer<Float>, cache h: UnsafePointer<Float>, h0: UnsafePointer<Float>?,
    last: Int, T: Int, count: Int
) {
    if T > 0 {
        hN.update(from: h + last * count, count: count)
    } else if let h0 {
        hN.update(from: h0, count: count)
    } else {
        hN.update(repeating: 0, count: count)
    }
}
