import Foundation
import Testing
@testable import Engine

/// A CTC batch as plain arrays, and one call of `ctcLoss` on it.
struct CTCBatch {
    var T: Int, N: Int, K: Int
    var logits: [Float]
    var targets: [[Int32]]
    var inputLengths: [Int32]

    struct Result { var loss: Float, losses: [Float], dlogits: [Float] }

    func run(logits: [Float]? = nil, zeroInfinity: Bool = false, reduction: CTCReduction = .mean,
             threads: Int = 1) throws -> Result {
        var losses = [Float](repeating: .nan, count: N)
        var dlogits = [Float](repeating: .nan, count: T * N * K)
        let workspace = CTCWorkspace(maxT: T, maxTargetLength: targets.map(\.count).max() ?? 0,
                                     threads: threads)
        let loss = try ctcLoss(
            dlogits: &dlogits, losses: &losses, logits: logits ?? self.logits,
            targets: targets.flatMap { $0 }, targetLengths: targets.map { Int32($0.count) },
            inputLengths: inputLengths, T: T, N: N, K: K, reduction: reduction,
            zeroInfinity: zeroInfinity, workspace: workspace, threads: threads)
        return Result(loss: loss, losses: losses, dlogits: dlogits)
    }

    static func random(T: Int, K: Int, targets: [[Int32]], inputLengths: [Int32], seed: UInt64,
                       scale: Float = 2) -> CTCBatch {
        var rng = SequenceRandom(seed: seed)
        return CTCBatch(T: T, N: targets.count, K: K, logits: rng.array(T * targets.count * K, scale: scale),
                        targets: targets, inputLengths: inputLengths)
    }
}

/// −log p(target) by enumerating all K^Tn alignments: an independent reference for small cases.
func bruteForceCTC(rows: [[Float]], target: [Int]) -> Double {
    let probs = rows.map { row -> [Double] in
        let m = Double(row.max()!)
        let e = row.map { exp(Double($0) - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }
    let K = rows.first?.count ?? 1
    var total: Double = 0
    var path = [Int](repeating: 0, count: rows.count)
    for code in 0..<Int(pow(Double(K), Double(rows.count))) {
        var c = code
        for t in path.indices { path[t] = c % K; c /= K }
        if collapseCTCPath(path) == target {
            total += path.indices.reduce(1.0) { $0 * probs[$1][path[$1]] }
        }
    }
    return -log(total)
}

/// Merges repeats, then drops blanks.
func collapseCTCPath(_ path: [Int]) -> [Int] {
    var out: [Int] = [], previous = -1
    for c in path where c != previous || c == 0 {
        if c != 0 && c != previous { out.append(c) }
        previous = c
    }
    return out
}

@Suite struct CTCTests {
    /// The rows of sample n over its input length.
    func rows(_ b: CTCBatch, _ n: Int) -> [[Float]] {
        (0..<Int(b.inputLengths[n])).map { t in Array(b.logits[((t * b.N + n) * b.K)..<((t * b.N + n + 1) * b.K)]) }
    }

    @Test func handComputedTwoSteps() throws {
        // p(t=0) = (1/4, 3/4), p(t=1) = (1/2, 1/2); target "a" = [1]. Alignments aa, _a, a_:
        // p = 3/8 + 1/8 + 3/8 = 7/8. Posteriors of "a": t=0 (aa + a_)/p = 6/7, t=1 (aa + _a)/p = 4/7.
        let b = CTCBatch(T: 2, N: 1, K: 2, logits: [0, Float(log(3.0)), 0, 0], targets: [[1]], inputLengths: [2])
        let r = try b.run()
        #expect(abs(Double(r.loss) + log(7.0 / 8)) < 1e-6)
        let expected: [Double] = [1.0 / 4 - 1.0 / 7, 3.0 / 4 - 6.0 / 7, 1.0 / 2 - 3.0 / 7, 1.0 / 2 - 4.0 / 7]
        for (g, e) in zip(r.dlogits, expected) { #expect(abs(Double(g) - e) < 1e-6) }
    }

    @Test func matchesBruteForceWithRepeatsEmptyTargetsAndPadding() throws {
        let b = CTCBatch.random(T: 4, K: 3, targets: [[1, 2], [1, 1], [], [2, 1, 2], [2]],
                                inputLengths: [4, 3, 4, 4, 2], seed: 41)
        let r = try b.run()
        var mean: Double = 0
        for n in 0..<b.N {
            let reference = bruteForceCTC(rows: rows(b, n), target: b.targets[n].map(Int.init))
            #expect(abs(Double(r.losses[n]) - reference) < 1e-5, "sample \(n)")
            mean += reference / Double(max(b.targets[n].count, 1)) / Double(b.N)
        }
        #expect(abs(Double(r.loss) - mean) < 1e-5, "mean reduction divides by target length")
        let sum = try b.run(reduction: .sum).loss
        #expect(abs(Double(sum) - r.losses.reduce(0) { $0 + Double($1) }) < 1e-4)
        // Steps past an input length get no gradient.
        for t in 3..<4 { #expect(r.dlogits[((t * b.N + 1) * b.K)..<((t * b.N + 2) * b.K)].allSatisfy { $0 == 0 }) }
    }

    @Test func wideRowsUseTheVectorPathAccurately() throws {
        // K = 20 exercises the sixteen-lane exp and its scalar tail; large logits stress its range.
        let b = CTCBatch.random(T: 3, K: 20, targets: [[7, 19], [3]], inputLengths: [3, 3], seed: 42, scale: 30)
        let r = try b.run()
        for n in 0..<b.N {
            let reference = bruteForceCTC(rows: rows(b, n), target: b.targets[n].map(Int.init))
            #expect(abs(Double(r.losses[n]) - reference) < 1e-4 * max(1, reference), "sample \(n)")
        }
    }

    @Test(arguments: [3, 20])
    func gradientMatchesFiniteDifferences(K: Int) throws {
        let targets: [[Int32]] = K == 3 ? [[1, 2], [2, 2], []] : [[5, 5, 17], [1], [19, 2]]
        var b = CTCBatch.random(T: 5, K: K, targets: targets, inputLengths: [5, 4, 5], seed: 43)
        let r = try b.run(threads: 2)
        var rng = SequenceRandom(seed: 44)
        let indices = (0..<60).map { _ in rng.int(below: b.logits.count) }
        let base = b
        let e = checkGradient(&b.logits, analytic: r.dlogits, indices: indices, epsilon: 1e-2,
                              atol: 1e-4, rtol: 1e-2) { Double((try? base.run(logits: $0).loss) ?? .nan) }
        #expect(e.ratio < 1, "dlogits \(e)")
    }

    @Test func impossibleTargetIsInfiniteOrZeroed() throws {
        // [1, 1, 1] needs 5 steps (blanks between repeats); 4 are given.
        let b = CTCBatch.random(T: 4, K: 3, targets: [[1, 1, 1], [2]], inputLengths: [4, 4], seed: 45)
        let plain = try b.run()
        #expect(plain.losses[0] == .infinity && plain.loss == .infinity)
        #expect((0..<4).allSatisfy { t in plain.dlogits[(t * 2 * 3)..<(t * 2 * 3 + 3)].allSatisfy(\.isNaN) })
        let zeroed = try b.run(zeroInfinity: true)
        #expect(zeroed.losses[0] == 0)
        #expect(abs(zeroed.loss - zeroed.losses[1] / 2) < 1e-6, "the zeroed sample still counts in the mean")
        for t in 0..<4 {
            #expect(zeroed.dlogits[(t * 6)..<(t * 6 + 3)].allSatisfy { $0 == 0 })
            #expect(zeroed.dlogits[(t * 6 + 3)..<(t * 6 + 6)] == plain.dlogits[(t * 6 + 3)..<(t * 6 + 6)])
        }
    }

    @Test func threadsDoNotChangeTheResult() throws {
        let b = CTCBatch.random(T: 6, K: 21, targets: [[1, 2], [3], [4, 4], [], [5, 6, 7]],
                                inputLengths: [6, 5, 6, 3, 6], seed: 46)
        let one = try b.run(threads: 1), three = try b.run(threads: 3)
        #expect(one.losses == three.losses && one.dlogits == three.dlogits && one.loss == three.loss)
    }

    @Test func rowKernelsMatchScalarReferences() {
        // 1037 values: not a multiple of 8 or 16, so every kernel's tail runs too.
        let row = (0..<1037).map { Float($0) * 0.085 - 80 }  // −80 … +8.1
        let m = rowMaximum(row, row.count)
        #expect(m == row.max()!)
        var out = [Float](repeating: 0, count: row.count)
        let sum = exponentiate(into: &out, row, minus: 1, row.count)
        var worst: Double = 0, reference: Double = 0
        for k in row.indices {
            let e = exp(Double(row[k] - 1))  // the kernel subtracts in Float, so does the reference
            reference += e
            worst = max(worst, abs(Double(out[k]) / e - 1))
        }
        #expect(worst < 5e-7, "relative error of the vector exp")
        #expect(abs(sum / reference - 1) < 1e-6)
        #expect(abs(exponentiate(into: nil, row, minus: 1, row.count) / reference - 1) < 1e-6)
    }

    @Test func badInputsThrowNamedErrors() {
        let b = CTCBatch.random(T: 3, K: 4, targets: [[1, 4]], inputLengths: [3], seed: 47)
        #expect(throws: CTCError.labelOutOfRange(sample: 0, position: 1, label: 4, K: 4)) { try b.run() }
        var zero = b; zero.targets = [[0]]
        #expect(throws: CTCError.labelOutOfRange(sample: 0, position: 0, label: 0, K: 4)) { try zero.run() }
        var long = b; long.targets = [[1]]; long.inputLengths = [4]
        #expect(throws: CTCError.inputLengthOutOfRange(sample: 0, length: 4, T: 3)) { try long.run() }
        #expect(CTCError.labelOutOfRange(sample: 0, position: 1, label: 4, K: 4).description.contains("targets"))
    }
}
