// Connectionist temporal classification loss (Graves et al. 2006), fused with log-softmax,
// matching PyTorch's nn.CTCLoss(blank=0) applied to log_softmax(logits).
//
// Shapes:
//   T time steps, N batch, K classes (blank = class 0), L_n target length of sample n,
//   S_n = 2·L_n + 1 extended labels (blank, l1, blank, l2, …, blank)
//   logits, dlogits [T×N×K] (time-major, raw scores)   targets [Σ L_n] (concatenated, 1..K−1)
//   targetLengths, inputLengths [N]   losses [N]
//
// Per sample: one streaming pass over the logits finds each row's max and Σ exp (storing the
// exponentials in dlogits, so no separate softmax buffer and no second exp), log-space α/β
// recursions in Double over the S_n extended labels only, then one pass that scales the stored
// exponentials into softmax·scale and subtracts the scaled label occupancy:
//   d loss / d logit[t][k] = scale · (softmax[t][k] − Σ_{s: l'_s = k} exp(α[t][s] + β[t][s] − lp[t][s] − log p))
// Samples are independent and run in parallel (DispatchQueue.concurrentPerform).
import Dispatch
import Foundation

/// How per-sample losses combine into the returned loss (and how the gradient is scaled).
public enum CTCReduction: Sendable {
    /// PyTorch's 'mean': each loss divided by its target length (at least 1), then the batch mean.
    case mean
    /// The plain sum of the per-sample losses.
    case sum
}

/// A CTC input the loss cannot be computed for; the description names the field and why.
public enum CTCError: Error, Equatable, CustomStringConvertible {
    case inputLengthOutOfRange(sample: Int, length: Int, T: Int)
    case negativeTargetLength(sample: Int, length: Int)
    case targetTooLongForWorkspace(sample: Int, length: Int, capacity: Int)
    case labelOutOfRange(sample: Int, position: Int, label: Int, K: Int)
    case sequenceLongerThanWorkspace(T: Int, capacity: Int)

    public var description: String {
        switch self {
        case let .inputLengthOutOfRange(n, length, T):
            return "CTC: inputLengths[\(n)] = \(length) is outside 0...\(T) (the logits' time steps)"
        case let .negativeTargetLength(n, length):
            return "CTC: targetLengths[\(n)] = \(length) is negative"
        case let .targetTooLongForWorkspace(n, length, capacity):
            return "CTC: targetLengths[\(n)] = \(length) exceeds the workspace's maxTargetLength \(capacity)"
        case let .labelOutOfRange(n, position, label, K):
            return "CTC: targets of sample \(n), position \(position): label \(label) is outside 1..<\(K) (0 is the blank)"
        case let .sequenceLongerThanWorkspace(T, capacity):
            return "CTC: \(T) time steps exceed the workspace's maxT \(capacity)"
        }
    }
}

/// Scratch for `ctcLoss`, allocated once by the caller and reused across batches.
///
/// Per worker thread: extended-label log-probabilities, α and β [maxT × (2·maxTargetLength+1)]
/// in Double, plus per-row softmax normalisers [maxT].
public final class CTCWorkspace: @unchecked Sendable {
    public let maxT: Int, maxTargetLength: Int, threads: Int
    let stride: Int  // Doubles per thread
    let storage: UnsafeMutablePointer<Double>

    public init(maxT: Int, maxTargetLength: Int, threads: Int = 1) {
        precondition(maxT >= 0 && maxTargetLength >= 0 && threads >= 1, "CTCWorkspace: bad sizes")
        self.maxT = maxT; self.maxTargetLength = maxTargetLength; self.threads = threads
        stride = maxT * (3 * (2 * maxTargetLength + 1) + 2)
        storage = .allocate(capacity: max(1, stride * threads))
    }

    deinit { storage.deallocate() }
}

/// CTC loss of a batch and, optionally, its gradient w.r.t. the raw logits.
///
/// - Parameters:
///   - dlogits: [T×N×K], OVERWRITTEN (not accumulated: the loss starts the backward pass) with
///     d(reduced loss)/d logits; rows past a sample's input length get 0. nil: loss only.
///   - losses: [N], each sample's negative log-likelihood (before reduction); +∞ when the
///     target cannot be aligned (longer than the input, counting a blank between repeats).
///   - logits: [T×N×K] raw scores (log-softmax is applied inside).
///   - targets: labels of all samples concatenated, each in 1..<K.
///   - targetLengths, inputLengths: [N]; input lengths in 0...T.
///   - zeroInfinity: an infinite loss and its gradient become 0 (PyTorch's `zero_infinity`).
///     Without it an infinite loss stays +∞ and, as in PyTorch, its gradient rows are NaN,
///     so an impossible target cannot silently train the rest of the batch.
///   - threads: worker threads over the batch (capped by the workspace and N).
/// - Returns: the reduced loss.
/// - Throws: `CTCError` for lengths or labels out of range, before any work.
@discardableResult
public func ctcLoss(
    dlogits: UnsafeMutablePointer<Float>?, losses: UnsafeMutablePointer<Float>,
    logits: UnsafePointer<Float>,
    targets: UnsafePointer<Int32>, targetLengths: UnsafePointer<Int32>,
    inputLengths: UnsafePointer<Int32>,
    T: Int, N: Int, K: Int,
    reduction: CTCReduction = .mean, zeroInfinity: Bool = false,
    workspace: CTCWorkspace, threads: Int = 1
) throws -> Float {
    precondition(T >= 0 && N >= 0 && K >= 1, "ctcLoss: bad dimensions")
    let offsets = try validateCTCInputs(targets: targets, targetLengths: targetLengths,
                                        inputLengths: inputLengths, T: T, N: N, K: K,
                                        workspace: workspace)
    let workers = max(1, min(threads, workspace.threads, N))
    let sample = { (n: Int, slot: Int) in
        let L = Int(targetLengths[n])
        let scale: Double = reduction == .mean ? 1 / Double(N * max(L, 1)) : 1
        losses[n] = ctcSample(dlogits: dlogits, logits: logits, labels: targets + offsets[n], L: L,
                              Tn: Int(inputLengths[n]), n: n, T: T, N: N, K: K, scale: scale,
                              zeroInfinity: zeroInfinity,
                              scratch: workspace.storage + slot * workspace.stride, maxT: workspace.maxT,
                              maxS: 2 * workspace.maxTargetLength + 1)
    }
    if workers == 1 {
        for n in 0..<N { sample(n, 0) }
    } else {
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            for n in Swift.stride(from: w, to: N, by: workers) { sample(n, w) }
        }
    }
    var total: Double = 0
    for n in 0..<N {
        let l = Double(losses[n])
        total += reduction == .mean ? l / Double(max(Int(targetLengths[n]), 1)) : l
    }
    return Float(reduction == .mean ? total / Double(max(N, 1)) : total)
}

/// Checks every length and label; returns each sample's offset into `targets`.
func validateCTCInputs(
    targets: UnsafePointer<Int32>, targetLengths: UnsafePointer<Int32>,
    inputLengths: UnsafePointer<Int32>, T: Int, N: Int, K: Int, workspace: CTCWorkspace
) throws -> [Int] {
    if T > workspace.maxT { throw CTCError.sequenceLongerThanWorkspace(T: T, capacity: workspace.maxT) }
    var offsets = [Int](repeating: 0, count: N)
    var offset = 0
    for n in 0..<N {
        let Tn = Int(inputLengths[n]), L = Int(targetLengths[n])
        if Tn < 0 || Tn > T { throw CTCError.inputLengthOutOfRange(sample: n, length: Tn, T: T) }
        if L < 0 { throw CTCError.negativeTargetLength(sample: n, length: L) }
        if L > workspace.maxTargetLength {
            throw CTCError.targetTooLongForWorkspace(sample: n, length: L, capacity: workspace.maxTargetLength)
        }
        for i in 0..<L where targets[offset + i] < 1 || Int(targets[offset + i]) >= K {
            throw CTCError.labelOutOfRange(sample: n, position: i, label: Int(targets[offset + i]), K: K)
        }
        offsets[n] = offset
        offset += L
    }
    return offsets
}

/// One sample: returns its negative log-likelihood and writes its dlogits column.
private func ctcSample(
    dlogits: UnsafeMutablePointer<Float>?, logits: UnsafePointer<Float>,
    labels: UnsafePointer<Int32>, L: Int, Tn: Int, n: Int, T: Int, N: Int, K: Int,
    scale: Double, zeroInfinity: Bool,
    scratch: UnsafeMutablePointer<Double>, maxT: Int, maxS: Int
) -> Float {
    let S = 2 * L + 1
    let lp = scratch, alpha = lp + maxT * maxS, beta = alpha + maxT * maxS
    let rowMax = beta + maxT * maxS, rowSum = rowMax + maxT
    @inline(__always) func label(_ s: Int) -> Int { s & 1 == 0 ? 0 : Int(labels[s >> 1]) }
    // A transition may skip the blank between two labels only when they differ.
    @inline(__always) func canSkip(_ s: Int, _ other: Int) -> Bool {
        s & 1 == 1 && other >= 0 && other < S && label(s) != label(other)
    }

    for t in 0..<Tn {
        let row = logits + (t * N + n) * K
        let m = rowMaximum(row, K)
        rowMax[t] = Double(m)
        rowSum[t] = Double(exponentiate(into: dlogits.map { $0 + (t * N + n) * K }, row, minus: m, K))
        let lse = Double(m) + log(rowSum[t])
        for s in 0..<S { lp[t * S + s] = Double(row[label(s)]) - lse }
    }

    let nll: Double
    if Tn == 0 {
        nll = L == 0 ? 0 : .infinity
    } else {
        for s in 0..<S { alpha[s] = s < 2 ? lp[s] : -.infinity }
        for t in 1..<max(Tn, 1) {
            for s in 0..<S {
                var a = alpha[(t - 1) * S + s]
                if s >= 1 { a = logAddExp(a, alpha[(t - 1) * S + s - 1]) }
                if canSkip(s, s - 2) { a = logAddExp(a, alpha[(t - 1) * S + s - 2]) }
                alpha[t * S + s] = a + lp[t * S + s]
            }
        }
        let last = (Tn - 1) * S
        nll = -(S > 1 ? logAddExp(alpha[last + S - 1], alpha[last + S - 2]) : alpha[last])
    }

    guard let dlogits else { return zeroInfinity && nll.isInfinite ? 0 : Float(nll) }
    for t in Tn..<T { (dlogits + (t * N + n) * K).update(repeating: 0, count: K) }
    if nll.isInfinite {
        let fill: Float = zeroInfinity ? 0 : .nan
        for t in 0..<Tn { (dlogits + (t * N + n) * K).update(repeating: fill, count: K) }
        return zeroInfinity ? 0 : .infinity
    }

    let last = (Tn - 1) * S
    for s in 0..<S { beta[last + s] = s >= S - 2 ? lp[last + s] : -.infinity }
    for t in stride(from: Tn - 2, through: 0, by: -1) {
        for s in 0..<S {
            var b = beta[(t + 1) * S + s]
            if s + 1 < S { b = logAddExp(b, beta[(t + 1) * S + s + 1]) }
            if canSkip(s, s + 2) { b = logAddExp(b, beta[(t + 1) * S + s + 2]) }
            beta[t * S + s] = b + lp[t * S + s]
        }
    }
    for t in 0..<Tn {
        let drow = dlogits + (t * N + n) * K
        scaleRow(drow, by: Float(scale / rowSum[t]), K)
        for s in 0..<S {
            let occupancy = exp(alpha[t * S + s] + beta[t * S + s] - lp[t * S + s] + nll)
            drow[label(s)] -= Float(scale * occupancy)
        }
    }
    return Float(nll)
}

@inline(__always)
func logAddExp(_ a: Double, _ b: Double) -> Double {
    if a == -.infinity { return b }
    if b == -.infinity { return a }
    return max(a, b) + log1p(exp(-abs(a - b)))
}

// MARK: - Row kernels of the fused log-softmax (also used by Decoding.swift)
//
// Plain scalar loops without calls or reductions, so LLVM vectorises them; the generic SIMD
// helpers of the standard library (rounded, clamped, pointwiseMax) measured ~20× slower here.

/// The maximum of `row[0..<K]`; eight independent running maxima let LLVM use packed max.
@inline(__always)
func rowMaximum(_ row: UnsafePointer<Float>, _ K: Int) -> Float {
    var (m0, m1, m2, m3) = (-Float.infinity, -Float.infinity, -Float.infinity, -Float.infinity)
    var (m4, m5, m6, m7) = (m0, m1, m2, m3)
    var k = 0
    while k + 8 <= K {
        let v = row + k
        m0 = v[0] > m0 ? v[0] : m0; m1 = v[1] > m1 ? v[1] : m1
        m2 = v[2] > m2 ? v[2] : m2; m3 = v[3] > m3 ? v[3] : m3
        m4 = v[4] > m4 ? v[4] : m4; m5 = v[5] > m5 ? v[5] : m5
        m6 = v[6] > m6 ? v[6] : m6; m7 = v[7] > m7 ? v[7] : m7
        k += 8
    }
    var best = max(max(max(m0, m1), max(m2, m3)), max(max(m4, m5), max(m6, m7)))
    while k < K { best = max(best, row[k]); k += 1 }
    return best
}

/// Σ_k exp(row[k] − m), storing each exponential in `out[k]` when `out` is given.
///
/// A vectorised exp is what makes the 30,657-class softmax cheap: glibc's scalar expf is about
/// 4× slower than this memory-bound pass.
@inline(__always)
func exponentiate(
    into out: UnsafeMutablePointer<Float>?, _ row: UnsafePointer<Float>, minus m: Float, _ K: Int
) -> Double {
    if let out {
        exponentiateRow(out, row, minus: m, K)
        return rowSum(out, K)
    }
    // Loss only: exponentiate through a small stack buffer instead of a row-sized scratch.
    return withUnsafeTemporaryAllocation(of: Float.self, capacity: 1024) { buffer in
        var sum: Double = 0
        var k = 0
        while k < K {
            let count = min(1024, K - k)
            exponentiateRow(buffer.baseAddress!, row + k, minus: m, count)
            sum += rowSum(buffer.baseAddress!, count)
            k += count
        }
        return sum
    }
}

/// `row[k] *= factor` for k < K.
@inline(__always)
func scaleRow(_ row: UnsafeMutablePointer<Float>, by factor: Float, _ K: Int) {
    for k in 0..<K { row[k] *= factor }
}

/// Σ row[k], sixteen Float lanes folded into Double every 1024 values so long rows keep Float's
/// rounding out of the sum.
@inline(__always)
func rowSum(_ row: UnsafePointer<Float>, _ K: Int) -> Double {
    let raw = UnsafeRawPointer(row)
    var lanes = SIMD16<Float>()
    var sum: Double = 0
    var k = 0
    while k + 16 <= K {
        lanes += raw.loadUnaligned(fromByteOffset: 4 * k, as: SIMD16<Float>.self)
        k += 16
        if k & 1023 == 0 { sum += Double(lanes.sum()); lanes = SIMD16<Float>() }
    }
    sum += Double(lanes.sum())
    while k < K { sum += Double(row[k]); k += 1 }
    return sum
}

/// out[k] = exp(row[k] − m) for k < K, through `polynomialExp` so the loop vectorises.
@inline(__always)
func exponentiateRow(
    _ out: UnsafeMutablePointer<Float>, _ row: UnsafePointer<Float>, minus m: Float, _ K: Int
) {
    for k in 0..<K { out[k] = polynomialExp(row[k] - m) }
}

/// exp(x) without a libm call (Cephes' expf polynomial, relative error ≈ 1e-7), so loops using
/// it vectorise. Arguments are clamped to [−87.3, 88.3]: below, the result is ≈ 1e-38 instead of
/// a denormal or 0 (negligible next to any sum it joins); above, ≈ 2e38 instead of +∞.
@inline(__always)
func polynomialExp(_ v: Float) -> Float {
    let x = v < -87.3 ? -87.3 : (v > 88.3 ? 88.3 : v)
    // Adding 1.5·2²³ rounds x·log2(e) to an integer n, which then sits in the low mantissa bits.
    let shifted = x * 1.442_695_04 + 12_582_912
    let n = shifted - 12_582_912
    let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
    var p: Float = 1.987_569_15e-4
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    p = p * (r * r) + r + 1
    return p * Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) << 23)
}
