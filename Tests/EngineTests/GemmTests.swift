import Testing
@testable import Engine

@Suite struct GemmTests {
    /// Deterministic pseudo-random fill, so a failure reproduces.
    func filled(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(Int(state % 2001) - 1000) / 1000
        }
    }

    @Test(arguments: [(1, 1, 1), (3, 5, 7), (17, 1, 33), (64, 31, 9), (5, 130, 257)])
    func matchesNaiveForEveryTranspose(m: Int, n: Int, k: Int) {
        for transA in [false, true] {
            for transB in [false, true] {
                let a = filled(m * k, seed: 1)
                let b = filled(k * n, seed: 2)
                var fast = filled(m * n, seed: 3)
                var slow = fast
                gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5,
                     a: a, b: b, beta: 0.25, c: &fast)
                naiveGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5,
                          a: a, b: b, beta: 0.25, c: &slow)
                let worst = zip(fast, slow).map { abs($0 - $1) }.max() ?? 0
                #expect(worst < 1e-4 * Float(k), "m=\(m) n=\(n) k=\(k) tA=\(transA) tB=\(transB)")
            }
        }
    }

    @Test func stridedSubmatrix() {
        // A 3×4 window of a 5×6 matrix times a 4×2 window of a 4×8 matrix.
        let a = filled(5 * 6, seed: 4), b = filled(4 * 8, seed: 5)
        var fast = [Float](repeating: 0, count: 3 * 10), slow = fast
        gemm(m: 3, n: 2, k: 4, a: a, lda: 6, b: b, ldb: 8, c: &fast, ldc: 10)
        naiveGemm(m: 3, n: 2, k: 4, a: a, lda: 6, b: b, ldb: 8, c: &slow, ldc: 10)
        #expect(zip(fast, slow).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(fast[2...9].allSatisfy { $0 == 0 }, "columns past n stay untouched")
    }
}
