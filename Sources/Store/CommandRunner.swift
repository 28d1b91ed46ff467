import Foundation

/// Runs an external program and captures its output. Used for the PostgreSQL server tools
/// (`initdb`, `pg_ctl`), which have no library API.
///
/// Built on `posix_spawn` + `waitpid` rather than Foundation's `Process`, whose Linux
/// implementation can leave children unreaped when several are run from concurrent threads.
public struct CommandRunner {
    public struct Output: Sendable {
        public let status: Int32
        public let text: String
    }

    public enum Failure: Error, CustomStringConvertible {
        case spawn(program: String, errno: Int32)
        public var description: String {
            switch self {
            case .spawn(let program, let code):
                return "cannot run \(program): \(String(cString: strerror(code)))"
            }
        }
    }

    /// Runs `arguments[0]` (an absolute path) with the rest, optionally as another user through
    /// `runuser`. Standard output and error are merged into `text`; standard input is /dev/null.
    /// - Parameter environment: extra variables on top of this process's environment.
    public static func run(
        _ arguments: [String], asUser user: String? = nil, environment: [String: String] = [:]
    ) throws -> Output {
        var argv = arguments
        if let user { argv = ["/usr/sbin/runuser", "-u", user, "--"] + argv }

        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw Failure.spawn(program: argv[0], errno: errno) }
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
        posix_spawn_file_actions_addclose(&actions, readEnd)
        posix_spawn_file_actions_addclose(&actions, writeEnd)

        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { $1 }
        let cEnvironment = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cEnvironment.forEach { free($0) } }
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, cEnvironment)
        close(writeEnd)
        guard spawned == 0 else {
            close(readEnd)
            throw Failure.spawn(program: argv[0], errno: spawned)
        }

        // Read to EOF before waiting, or a child that fills the pipe would block forever.
        var data = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if count > 0 { data += chunk[0..<count]; continue }
            if count < 0 && errno == EINTR { continue }
            break
        }
        close(readEnd)

        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS are macros Swift does not import.
        let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Output(status: exitCode, text: String(decoding: data, as: UTF8.self))
    }
}
