// The only file that talks to CBLAS. Everything in the engine that multiplies matrices calls
// `gemm`; `naiveGemm` is the reference the tests compare it with.
//
// Shapes (row-major): op(A) is M×K, op(B) is K×N, C is M×N.
//   C = alpha · op(A) · op(B) + beta · C
import CBLAS

/// Computes `C = alpha · op(A) · op(B) + beta · C` for row-major matrices with OpenBLAS.
///
/// - Parameters:
///   - transA, transB: whether A (stored K×M) and B (stored N×K) are used transposed.
///   - m, n, k: the dimensions of op(A) (M×K), op(B) (K×N) and C (M×N).
///   - lda, ldb, ldc: row strides; default to the packed width of each stored matrix.
@inline(__always)
public func gemm(
    transA: Bool = false, transB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int? = nil,
    b: UnsafePointer<Float>, ldb: Int? = nil,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int? = nil
) {
    precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative dimension")
    if m == 0 || n == 0 { return }
    let lda = lda ?? (transA ? m : k)
    let ldb = ldb ?? (transB ? k : n)
    let ldc = ldc ?? n
    cblas_sgemm(
        CblasRowMajor,
        transA ? CblasTrans : CblasNoTrans,
        transB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k),
        alpha, a, Int32(lda), b, Int32(ldb),
        beta, c, Int32(ldc))
}

/// Reference GEMM with the same contract as `gemm`, three plain loops. Tests only.
public func naiveGemm(
    transA: Bool = false, transB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int? = nil,
    b: UnsafePointer<Float>, ldb: Int? = nil,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int? = nil
) {
    let lda = lda ?? (transA ? m : k)
    let ldb = ldb ?? (transB ? k : n)
    let ldc = ldc ?? n
    for i in 0..<m {
        for j in 0..<n {
            var sum: Double = 0
            for p in 0..<k {
                let av = transA ? a[p * lda + i] : a[i * lda + p]
                let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                sum += Double(av) * Double(bv)
            }
            let prior = beta == 0 ? 0 : beta * c[i * ldc + j]
            c[i * ldc + j] = alpha * Float(sum) + prior
        }
    }
}

/// How many threads OpenBLAS uses for every later `gemm`.
public enum BLASThreads {
    public static func set(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    public static var current: Int { Int(openblas_get_num_threads()) }
}
