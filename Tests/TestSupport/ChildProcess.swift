import Foundation

/// A background process for end-to-end tests: output to a log file, signals, bounded waits.
/// (posix_spawn, not Foundation's Process, for the reason given in Store's CommandRunner.)
public final class ChildProcess {
    public let pid: pid_t
    public let logPath: String
    private var status: Int32?

    /// Starts `arguments[0]` (absolute path) with extra `environment`; stdout and stderr go to `logPath`.
    public init(_ arguments: [String], environment: [String: String] = [:], logPath: String) throws {
        self.logPath = logPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { $1 }
        let cArguments = arguments.map { strdup($0) } + [nil]
        let cEnvironment = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cArguments.forEach { free($0) }; cEnvironment.forEach { free($0) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, arguments[0], &actions, nil, cArguments, cEnvironment)
        guard code == 0 else {
            throw NSError(domain: "ChildProcess", code: Int(code),
                          userInfo: [NSLocalizedDescriptionKey: "cannot start \(arguments[0]): \(String(cString: strerror(code)))"])
        }
        self.pid = pid
    }

    deinit {
        if status == nil { kill(pid, SIGKILL); _ = waitBlocking(seconds: 5) }
    }

    public func signal(_ number: Int32) { kill(pid, number) }

    /// Waits up to `seconds` for the process to exit; returns its exit status (nil if still running).
    /// Suspends between polls: a test that waits must not hold one of the few threads of Swift's
    /// cooperative pool, or the in-process servers of other tests stall (two cores, two threads).
    @discardableResult
    public func waitFor(seconds: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while reap() == nil && Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        return reap()
    }

    /// `waitFor(seconds:)` for the places that cannot suspend (deinit); it blocks its thread.
    @discardableResult
    public func waitBlocking(seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while reap() == nil && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        return reap()
    }

    public var isRunning: Bool { reap() == nil }

    /// The exit status if the process has ended (collected once), nil while it runs.
    private func reap() -> Int32? {
        if let status { return status }
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, WNOHANG)
        if result == pid { status = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f) }
        if result < 0 { status = -1 }
        return status
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}

/// Polls `condition` every `interval` seconds until it holds or `timeout` passes, suspending
/// between polls (see `ChildProcess.waitFor`).
public func waitUntil(timeout: Double, interval: Double = 0.25, _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
    }
    return try condition()
}
