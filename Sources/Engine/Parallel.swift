// Thread control for the engine's own loops (im2col, pooling, batch norm, element-wise work).
// OpenBLAS has its own pool, set through `BLASThreads`; `EngineThreads.set` drives both so a
// caller names one number.
import Dispatch

/// How many threads the engine's parallel loops and OpenBLAS use.
public enum EngineThreads {
    nonisolated(unsafe) private static var value = 1

    /// Sets the thread count for engine loops and for every later `gemm`.
    public static func set(_ count: Int) {
        value = max(1, count)
        BLASThreads.set(value)
    }

    public static var current: Int { value }
}

/// Runs `body(i)` for every `i` in `0..<count`, split into at most `EngineThreads.current`
/// contiguous ranges. Work below `grain` items stays on the calling thread, because waking a
/// worker costs more than a few thousand floats of work.
@inline(__always)
func parallelFor(_ count: Int, grain: Int = 1, _ body: (Int) -> Void) {
    let threads = min(EngineThreads.current, count / max(1, grain))
    if threads <= 1 {
        for i in 0..<count { body(i) }
        return
    }
    withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: threads) { part in
            let lo = count * part / threads, hi = count * (part + 1) / threads
            for i in lo..<hi { body(i) }
        }
    }
}
