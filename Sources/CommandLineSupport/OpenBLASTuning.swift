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
        // The binary's own path, not /proc/self/exe: the kernel names the process after the
        // file executed, and `ps`/`top` would show every daemon as `exe`.
        if let path = executablePath() { execv(path, CommandLine.unsafeArgv) }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when execv failed (no /proc): run as is.
    }

    /// Where /proc/self/exe points, as the bytes of a C string (any file name works); nil when
    /// unreadable or when the file was replaced since it started (the link then ends in
    /// " (deleted)").
    static func executablePath() -> [CChar]? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        let deleted = Array(" (deleted)".utf8CString.dropLast())
        if count >= deleted.count && Array(buffer[(count - deleted.count)..<count]) == deleted { return nil }
        guard access(buffer, X_OK) == 0 else { return nil }
        return buffer
    }
}
