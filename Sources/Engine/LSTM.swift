// Long short-term memory, PyTorch's nn.LSTM (one layer), one direction or bidirectional.
//
// Shapes (row-major, time-major sequences):
//   T time steps, N batch, I input size, H hidden size, G = 4H (gates i, f, g, o in that order)
//   x [T×N×I]   y [T×N×H] per direction (bidirectional: [T×N×2H], forward first, reverse second)
//   h0, c0, hN, cN [N×H] per direction (bidirectional: [2×N×H], forward then reverse)
//   weight_ih [G×I]  weight_hh [G×H]  bias_ih [G]  bias_hh [G]
//
//   i = σ(·)  f = σ(·)  g = tanh(·)  o = σ(·)   with (·) = W_*i x + b_*i + W_*h h + b_*h
//   c' = f ⊙ c + i ⊙ g        h' = o ⊙ tanh(c')
//
// As in GRU.swift: the input projections of all steps are one gemm, each step adds h·W_hhᵀ in
// place, and backward turns the collected gate gradients into dW_ih, dW_hh, dx with tall gemms.
// Both biases receive the same gradient (they are summed into the same pre-activation).
import Foundation

/// The four parameter tensors of one LSTM direction, PyTorch layout and order.
public struct LSTMWeights {
    public var weightIH: UnsafePointer<Float>  // [4H×I]
    public var weightHH: UnsafePointer<Float>  // [4H×H]
    public var biasIH: UnsafePointer<Float>    // [4H]
    public var biasHH: UnsafePointer<Float>    // [4H]

    public init(weightIH: UnsafePointer<Float>, weightHH: UnsafePointer<Float>,
                biasIH: UnsafePointer<Float>, biasHH: UnsafePointer<Float>) {
        self.weightIH = weightIH; self.weightHH = weightHH
        self.biasIH = biasIH; self.biasHH = biasHH
    }

    /// The tensors back to back in `named_parameters()` order (weight_ih, weight_hh, bias_ih,
    /// bias_hh) from `base`, as in a parameter arena.
    public init(_ base: UnsafePointer<Float>, I: Int, H: Int) {
        let p = LSTMWeights.offsets(I: I, H: H)
        self.init(weightIH: base, weightHH: base + p.hh, biasIH: base + p.bih, biasHH: base + p.bhh)
    }

    /// Floats taken by one direction's parameters.
    public static func parameterCount(I: Int, H: Int) -> Int { 4 * H * (I + H + 2) }

    static func offsets(I: Int, H: Int) -> (hh: Int, bih: Int, bhh: Int) {
        (4 * H * I, 4 * H * (I + H), 4 * H * (I + H + 1))
    }
}

/// Gradient buffers of one LSTM direction, same layout as `LSTMWeights`; backward accumulates.
public struct LSTMGradients {
    public var weightIH: UnsafeMutablePointer<Float>
    public var weightHH: UnsafeMutablePointer<Float>
    public var biasIH: UnsafeMutablePointer<Float>
    public var biasHH: UnsafeMutablePointer<Float>

    public init(weightIH: UnsafeMutablePointer<Float>, weightHH: UnsafeMutablePointer<Float>,
                biasIH: UnsafeMutablePointer<Float>, biasHH: UnsafeMutablePointer<Float>) {
        self.weightIH = weightIH; self.weightHH = weightHH
        self.biasIH = biasIH; self.biasHH = biasHH
    }

    /// Carves the four gradients from `base` in the same order as `LSTMWeights.init(_:I:H:)`.
    public init(_ base: UnsafeMutablePointer<Float>, I: Int, H: Int) {
        let p = LSTMWeights.offsets(I: I, H: H)
        self.init(weightIH: base, weightHH: base + p.hh, biasIH: base + p.bih, biasHH: base + p.bhh)
    }
}

/// Activations one direction keeps from forward for backward, carved from one caller-owned block.
///
/// Backward CONSUMES the cache (the gate activations are overwritten by the gate gradients):
/// run forward again before a second backward.
public struct LSTMCache {
    public let T: Int, N: Int, H: Int
    var gates: UnsafeMutablePointer<Float>   // [T×N×4H] pre-activations, then i f g o, then dL/dpre
    var c: UnsafeMutablePointer<Float>       // [T×N×H]  cell state after each step
    var h: UnsafeMutablePointer<Float>       // [T×N×H]  hidden state after each step
    var dh: UnsafeMutablePointer<Float>      // [N×H]    backward scratch (two h, one c buffer)
    var dhNext: UnsafeMutablePointer<Float>  // [N×H]
    var dc: UnsafeMutablePointer<Float>      // [N×H]

    /// Floats `init(_:T:N:H:)` needs.
    public static func floatCount(T: Int, N: Int, H: Int) -> Int { 6 * T * N * H + 3 * N * H }

    public init(_ base: UnsafeMutablePointer<Float>, T: Int, N: Int, H: Int) {
        self.T = T; self.N = N; self.H = H
        gates = base
        c = base + 4 * T * N * H
        h = c + T * N * H
        dh = h + T * N * H
        dhNext = dh + N * H
        dc = dhNext + N * H
    }
}

/// One direction's forward pass over the whole sequence.
///
/// - Parameters:
///   - y: hidden state of every step, row (t, n) at `y + (t·N + n)·ldy`; overwritten.
///   - ldy: row stride of `y` (H alone, 2H inside a bidirectional output).
///   - hN, cN: final hidden and cell state [N×H], or nil.
///   - x: input [T×N×I]; h0, c0: initial states [N×H], or nil for zeros.
///   - reverse: run from t = T−1 down to 0 (the `_reverse` direction).
public func lstmForward(
    y: UnsafeMutablePointer<Float>, ldy: Int,
    hN: UnsafeMutablePointer<Float>?, cN: UnsafeMutablePointer<Float>?,
    x: UnsafePointer<Float>, h0: UnsafePointer<Float>?, c0: UnsafePointer<Float>?,
    weights: LSTMWeights, cache: LSTMCache, reverse: Bool,
    T: Int, N: Int, I: Int, H: Int
) {
    precondition(cache.T >= T && cache.N == N && cache.H == H, "lstmForward: cache sized for other dims")
    let G = 4 * H, NH = N * H
    broadcastRows(cache.gates, weights.biasIH, rows: T * N, width: G)
    gemm(transB: true, m: T * N, n: G, k: I, a: x, b: weights.weightIH, beta: 1, c: cache.gates)
    let bHH = weights.biasHH

    for s in 0..<T {
        let t = reverse ? T - 1 - s : s
        let prevT = reverse ? t + 1 : t - 1
        let hPrev = s == 0 ? h0 : UnsafePointer(cache.h + prevT * NH)
        let cPrev = s == 0 ? c0 : UnsafePointer(cache.c + prevT * NH)
        let gt = cache.gates + t * N * G, cOut = cache.c + t * NH, hOut = cache.h + t * NH
        if let hPrev {
            gemm(transB: true, m: N, n: G, k: H, a: hPrev, b: weights.weightHH, beta: 1, c: gt)
        }
        for n in 0..<N {
            let o = n * G
            for j in 0..<H {
                let ig = sigmoid(gt[o + j] + bHH[j])
                let fg = sigmoid(gt[o + H + j] + bHH[H + j])
                let gg = tanhGate(gt[o + 2 * H + j] + bHH[2 * H + j])
                let og = sigmoid(gt[o + 3 * H + j] + bHH[3 * H + j])
                let cv = fg * (cPrev?[n * H + j] ?? 0) + ig * gg
                let hv = og * tanhGate(cv)
                gt[o + j] = ig; gt[o + H + j] = fg; gt[o + 2 * H + j] = gg; gt[o + 3 * H + j] = og
                cOut[n * H + j] = cv
                hOut[n * H + j] = hv
                y[(t * N + n) * ldy + j] = hv
            }
        }
    }
    let last = reverse ? 0 : T - 1
    if let hN { copyFinalState(hN, cache: cache.h, h0: h0, last: last, T: T, count: NH) }
    if let cN { copyFinalState(cN, cache: cache.c, h0: c0, last: last, T: T, count: NH) }
}

/// One direction's backward pass (BPTT). ACCUMULATES into `dx`, `dh0`, `dc0` and `gradients`.
///
/// - Parameters:
///   - dx: [T×N×I]; dh0, dc0: [N×H]; each accumulated, nil when not needed.
///   - dy: upstream gradient of `y` (same strided layout), or nil.
///   - dhN, dcN: upstream gradients of the final states [N×H], or nil.
///   - x, h0, c0: the forward inputs; cache: the forward's cache (consumed).
public func lstmBackward(
    dx: UnsafeMutablePointer<Float>?,
    dh0: UnsafeMutablePointer<Float>?, dc0: UnsafeMutablePointer<Float>?,
    gradients: LSTMGradients,
    dy: UnsafePointer<Float>?, ldy: Int, dhN: UnsafePointer<Float>?, dcN: UnsafePointer<Float>?,
    x: UnsafePointer<Float>, h0: UnsafePointer<Float>?, c0: UnsafePointer<Float>?,
    weights: LSTMWeights, cache: LSTMCache, reverse: Bool,
    T: Int, N: Int, I: Int, H: Int
) {
    precondition(cache.T >= T && cache.N == N && cache.H == H, "lstmBackward: cache sized for other dims")
    let G = 4 * H, NH = N * H
    var dh = cache.dh, dhNext = cache.dhNext
    let dc = cache.dc
    if let dhN { dh.update(from: dhN, count: NH) } else { dh.update(repeating: 0, count: NH) }
    if let dcN { dc.update(from: dcN, count: NH) } else { dc.update(repeating: 0, count: NH) }

    for s in stride(from: T - 1, through: 0, by: -1) {
        let t = reverse ? T - 1 - s : s
        let cPrev = s == 0 ? c0 : UnsafePointer(cache.c + (reverse ? t + 1 : t - 1) * NH)
        let gt = cache.gates + t * N * G, ct = cache.c + t * NH
        for n in 0..<N {
            let o = n * G
            for j in 0..<H {
                let gh = dh[n * H + j] + (dy?[(t * N + n) * ldy + j] ?? 0)
                let ig = gt[o + j], fg = gt[o + H + j], gg = gt[o + 2 * H + j], og = gt[o + 3 * H + j]
                let tc = tanhGate(ct[n * H + j])
                let dcv = dc[n * H + j] + gh * og * (1 - tc * tc)
                gt[o + j] = dcv * gg * ig * (1 - ig)
                gt[o + H + j] = dcv * (cPrev?[n * H + j] ?? 0) * fg * (1 - fg)
                gt[o + 2 * H + j] = dcv * ig * (1 - gg * gg)
                gt[o + 3 * H + j] = gh * tc * og * (1 - og)
                dc[n * H + j] = dcv * fg
            }
        }
        if s > 0 || dh0 != nil {
            gemm(m: N, n: H, k: G, a: gt, b: weights.weightHH, beta: 0, c: dhNext)
        }
        swap(&dh, &dhNext)
    }
    if let dh0 { for i in 0..<NH { dh0[i] += dh[i] } }
    if let dc0 { for i in 0..<NH { dc0[i] += dc[i] } }

    let rows = T * N
    gemm(transA: true, m: G, n: I, k: rows, a: cache.gates, b: x, beta: 1, c: gradients.weightIH)
    accumulateRowSum(gradients.biasIH, cache.gates, rows: rows, width: G)
    accumulateRowSum(gradients.biasHH, cache.gates, rows: rows, width: G)
    if let dx {
        gemm(m: rows, n: I, k: G, a: cache.gates, b: weights.weightIH, beta: 1, c: dx)
    }
    if T > 1 {
        let (gFirst, hFirst) = reverse ? (0, 1) : (1, 0)
        gemm(transA: true, m: G, n: H, k: (T - 1) * N, a: cache.gates + gFirst * N * G,
             b: cache.h + hFirst * NH, beta: 1, c: gradients.weightHH)
    }
    if let h0, T > 0 {
        let first = reverse ? T - 1 : 0
        gemm(transA: true, m: G, n: H, k: N, a: cache.gates + first * N * G, b: h0,
             beta: 1, c: gradients.weightHH)
    }
}

// MARK: - Bidirectional

/// The caches of both directions, carved from one block.
public struct BidirectionalLSTMCache {
    public var forward: LSTMCache, reverse: LSTMCache

    public static func floatCount(T: Int, N: Int, H: Int) -> Int {
        2 * LSTMCache.floatCount(T: T, N: N, H: H)
    }

    public init(_ base: UnsafeMutablePointer<Float>, T: Int, N: Int, H: Int) {
        forward = LSTMCache(base, T: T, N: N, H: H)
        reverse = LSTMCache(base + LSTMCache.floatCount(T: T, N: N, H: H), T: T, N: N, H: H)
    }
}

/// Bidirectional LSTM forward: y [T×N×2H]; hN, cN, h0, c0 [2×N×H] each optional (nil initial
/// states are zeros), like PyTorch's `nn.LSTM(bidirectional=True)`.
public func bidirectionalLSTMForward(
    y: UnsafeMutablePointer<Float>,
    hN: UnsafeMutablePointer<Float>? = nil, cN: UnsafeMutablePointer<Float>? = nil,
    x: UnsafePointer<Float>, h0: UnsafePointer<Float>? = nil, c0: UnsafePointer<Float>? = nil,
    forward: LSTMWeights, reverse: LSTMWeights, cache: BidirectionalLSTMCache,
    T: Int, N: Int, I: Int, H: Int
) {
    let NH = N * H
    lstmForward(y: y, ldy: 2 * H, hN: hN, cN: cN, x: x, h0: h0, c0: c0, weights: forward,
                cache: cache.forward, reverse: false, T: T, N: N, I: I, H: H)
    lstmForward(y: y + H, ldy: 2 * H, hN: hN.map { $0 + NH }, cN: cN.map { $0 + NH },
                x: x, h0: h0.map { $0 + NH }, c0: c0.map { $0 + NH }, weights: reverse,
                cache: cache.reverse, reverse: true, T: T, N: N, I: I, H: H)
}

/// Bidirectional LSTM backward; ACCUMULATES into dx [T×N×I], dh0/dc0 [2×N×H] and both
/// gradients. dy [T×N×2H] and dhN/dcN [2×N×H] are the upstream gradients (each may be nil).
public func bidirectionalLSTMBackward(
    dx: UnsafeMutablePointer<Float>?,
    dh0: UnsafeMutablePointer<Float>? = nil, dc0: UnsafeMutablePointer<Float>? = nil,
    forwardGradients: LSTMGradients, reverseGradients: LSTMGradients,
    dy: UnsafePointer<Float>?, dhN: UnsafePointer<Float>? = nil, dcN: UnsafePointer<Float>? = nil,
    x: UnsafePointer<Float>, h0: UnsafePointer<Float>? = nil, c0: UnsafePointer<Float>? = nil,
    forward: LSTMWeights, reverse: LSTMWeights, cache: BidirectionalLSTMCache,
    T: Int, N: Int, I: Int, H: Int
) {
    let NH = N * H
    lstmBackward(dx: dx, dh0: dh0, dc0: dc0, gradients: forwardGradients,
                 dy: dy, ldy: 2 * H, dhN: dhN, dcN: dcN, x: x, h0: h0, c0: c0,
                 weights: forward, cache: cache.forward, reverse: false, T: T, N: N, I: I, H: H)
    lstmBackward(dx: dx, dh0: dh0.map { $0 + NH }, dc0: dc0.map { $0 + NH },
                 gradients: reverseGradients, dy: dy.map { $0 + H }, ldy: 2 * H,
                 dhN: dhN.map { $0 + NH }, dcN: dcN.map { $0 + NH },
                 x: x, h0: h0.map { $0 + NH }, c0: c0.map { $0 + NH },
                 weights: reverse, cache: cache.reverse, reverse: true, T: T, N: N, I: I, H: H)
}
