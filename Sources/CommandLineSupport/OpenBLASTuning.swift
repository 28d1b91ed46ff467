import Foundation

/// OpenBLAS keeps its idle worker threads spinning (calling sched_yield) for a long while after
/// each GEMM. Between GEMMs the engine runs its own parallel loops, and on a machine with few
/// cores the spinning threads steal those cores: at 2 threads a training step ran ~15 % slower
/// (see BENCHMARKS.md). `OPENBLAS_THREAD_TIMEOUT` shortens the spin, but OpenBLAS reads it only
/// when the library loads, before any Swift code runs — so a command that trains or infers sets
/// it and re-executes itself once. A value the user set is left alone.
public enum OpenBLASTuning {
    public static let variable = "OPENBLAS_THREAD_TIMEOUT"
    /// 2^4 cycles: the shortest spin OpenBLAS accepts.
    public static let value = "4"

    /// Re-executes this program with the variable set, unless it is set already. Returns (and
    /// the program carries on untuned) if re-executing fails.
    public static func reexecIfNeeded() {
        guard getenv(variable) == nil else { return }
        setenv(variable, value, 0)
        // argv as it came, not `CommandLine.arguments`: those are decoded as UTF-8 with
        // replacement, and a file name that is not UTF-8 would no longer name its file.
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when execv failed (no /proc): run as is.
    }
}
