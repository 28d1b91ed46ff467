// BatchNorm2d over channel-major activations, PyTorch semantics: training mode normalises with
// the biased batch variance and moves the running variance towards the unbiased one; eval mode
// uses the running statistics.
//
// Shapes (M = N·H·W, one channel's values are contiguous in the CNHW layout):
//   x, y          [C, M]
//   gamma, beta   [C]          parameters (bnX.weight, bnX.bias)
//   runningMean, runningVar [C]  buffers
//   mean, invStd  [C]          saved by the training forward for the backward

/// PyTorch's BatchNorm2d default ε, the only one the CRNN uses.
public let batchNormEpsilon: Float = 1e-5

/// Training-mode forward: y = (x − mean) · invStd · gamma + beta with batch statistics; saves
/// `mean` and `invStd` and updates the running statistics with `momentum`.
public func batchNormForward(
    _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
    _ gamma: UnsafePointer<Float>, _ beta: UnsafePointer<Float>,
    mean: UnsafeMutablePointer<Float>, invStd: UnsafeMutablePointer<Float>,
    runningMean: UnsafeMutablePointer<Float>, runningVar: UnsafeMutablePointer<Float>,
    c: Int, m: Int, momentum: Float = 0.1, eps: Float = batchNormEpsilon
) {
    parallelFor(c) { ch in
        let xs = x + ch * m, ys = y + ch * m
        // Two passes in Double: a channel may hold 10^5 values, and E[x²] − E[x]² in Float
        // cancels catastrophically when the mean is large against the spread.
        let mu = channelSum(xs, m) { Double($0) } / Double(m)
        let sq = channelSum(xs, m) { let d = Double($0) - mu; return d * d }
        let variance = sq / Double(m)
        let inv = 1 / (variance + Double(eps)).squareRoot()
        mean[ch] = Float(mu); invStd[ch] = Float(inv)
        let scale = Float(inv) * gamma[ch], shift = beta[ch] - Float(mu) * scale
        for i in 0..<m { ys[i] = xs[i] * scale + shift }
        let unbiased = m > 1 ? sq / Double(m - 1) : variance
        runningMean[ch] = (1 - momentum) * runningMean[ch] + momentum * Float(mu)
        runningVar[ch] = (1 - momentum) * runningVar[ch] + momentum * Float(unbiased)
    }
}

/// Eval-mode forward with the running statistics; nothing is saved or updated.
public func batchNormInference(
    _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
    _ gamma: UnsafePointer<Float>, _ beta: UnsafePointer<Float>,
    runningMean: UnsafePointer<Float>, runningVar: UnsafePointer<Float>,
    c: Int, m: Int, eps: Float = batchNormEpsilon
) {
    parallelFor(c) { ch in
        let scale = gamma[ch] / (runningVar[ch] + eps).squareRoot()
        let shift = beta[ch] - runningMean[ch] * scale
        let xs = x + ch * m, ys = y + ch * m
        for i in 0..<m { ys[i] = xs[i] * scale + shift }
    }
}

/// Accumulates dx, dgamma and dbeta for the training-mode forward:
/// dx = gamma · invStd / M · (M·dy − Σdy − x̂ · Σ(dy·x̂)), with x̂ recomputed from x.
public func batchNormBackward(
    dx: UnsafeMutablePointer<Float>, dgamma: UnsafeMutablePointer<Float>,
    dbeta: UnsafeMutablePointer<Float>,
    dy: UnsafePointer<Float>, x: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
    mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>, c: Int, m: Int
) {
    parallelFor(c) { ch in
        let xs = x + ch * m, dys = dy + ch * m, dxs = dx + ch * m
        let mu = mean[ch], inv = invStd[ch]
        let sumDy = channelSum(dys, m) { Double($0) }
        let sumDyXhat = channelSum(m) { i in Double(dys[i]) * Double((xs[i] - mu) * inv) }
        dgamma[ch] += Float(sumDyXhat)
        dbeta[ch] += Float(sumDy)
        let k = gamma[ch] * inv
        let meanDy = Float(sumDy / Double(m)), meanDyXhat = Float(sumDyXhat / Double(m))
        for i in 0..<m {
            let xhat = (xs[i] - mu) * inv
            dxs[i] += k * (dys[i] - meanDy - xhat * meanDyXhat)
        }
    }
}

/// Σ term(x[i]) over one channel's `m` values, in Double, with four independent partial sums: one
/// running sum waits on every addition (a dependency chain as long as the channel), which made
/// the batch norms 8 % of a training step; four chains fill the pipeline.
@inline(__always)
func channelSum(_ x: UnsafePointer<Float>, _ m: Int, _ term: (Float) -> Double) -> Double {
    channelSum(m) { term(x[$0]) }
}

/// Σ term(i) for i in 0..<m, as above.
@inline(__always)
func channelSum(_ m: Int, _ term: (Int) -> Double) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var i = 0
    while i + 4 <= m {
        s0 += term(i); s1 += term(i + 1); s2 += term(i + 2); s3 += term(i + 3)
        i += 4
    }
    while i < m { s0 += term(i); i += 1 }
    return (s0 + s1) + (s2 + s3)
}
