// Fully connected layer, PyTorch's nn.Linear: y = x·Wᵀ + b.
//
// Shapes (row-major):
//   rows  number of independent input vectors (T·N when applied to every time step at once)
//   I     input features, O output features
//   x [rows×I]   weight [O×I] (PyTorch layout)   bias [O]   y [rows×O]
//
// The whole sequence goes through ONE gemm (rows = T·N): the output layer of the seed preset
// (O = 30,657) is the largest matrix product of the model, and only a tall gemm runs it near peak.

/// Forward pass: `y = x·Wᵀ + b`, overwriting `y`.
///
/// - Parameters:
///   - y: output [rows×O], overwritten.
///   - x: input [rows×I].
///   - weight: [O×I], PyTorch layout.
///   - bias: [O], or nil for a layer without bias.
///   - rows, I, O: dimensions (see the legend above).
public func linearForward(
    y: UnsafeMutablePointer<Float>,
    x: UnsafePointer<Float>,
    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    rows: Int, I: Int, O: Int
) {
    if let bias {
        // Broadcasting the bias first lets the gemm add onto it (beta = 1) in the same pass.
        broadcastRows(y, bias, rows: rows, width: O)
    }
    gemm(transB: true, m: rows, n: O, k: I, a: x, b: weight, beta: bias == nil ? 0 : 1, c: y)
}

/// Backward pass. ACCUMULATES into `dWeight`, `dBias` and `dx` (each may be nil when not needed).
///
///   dW += dyᵀ·x    db += Σ_rows dy    dx += dy·W
///
/// - Parameters:
///   - dx: gradient w.r.t. the input [rows×I], accumulated; nil skips that gemm.
///   - dWeight: [O×I], accumulated.
///   - dBias: [O], accumulated; nil for a layer without bias.
///   - dy: upstream gradient [rows×O].
///   - x: the forward input [rows×I].
///   - weight: [O×I].
public func linearBackward(
    dx: UnsafeMutablePointer<Float>?,
    dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?,
    dy: UnsafePointer<Float>,
    x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    rows: Int, I: Int, O: Int
) {
    if let dWeight {
        gemm(transA: true, m: O, n: I, k: rows, a: dy, b: x, beta: 1, c: dWeight)
    }
    if let dBias {
        accumulateRowSum(dBias, dy, rows: rows, width: O)
    }
    if let dx {
        gemm(m: rows, n: I, k: O, a: dy, b: weight, beta: 1, c: dx)
    }
}

// MARK: - Row helpers shared by the recurrent layers

/// Copies the vector `v` [width] into every row of `m` [rows×width] (bias broadcast).
@inline(__always)
func broadcastRows(
    _ m: UnsafeMutablePointer<Float>, _ v: UnsafePointer<Float>, rows: Int, width: Int
) {
    for r in 0..<rows {
        (m + r * width).update(from: v, count: width)
    }
}

/// `sum[j] += Σ_r m[r][j]` over a [rows×width] matrix (bias gradients).
///
/// A column sum is memory bound: one streaming pass with a contiguous, vectorisable inner loop
/// beats a gemm against a vector of ones, which would need a scratch buffer of `rows` ones.
@inline(__always)
func accumulateRowSum(
    _ sum: UnsafeMutablePointer<Float>, _ m: UnsafePointer<Float>, rows: Int, width: Int
) {
    for r in 0..<rows {
        let row = m + r * width
        for j in 0..<width { sum[j] += row[j] }
    }
}
