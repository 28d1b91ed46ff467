import Foundation

/// A private PostgreSQL cluster for one machine's local default: created on first use under
/// `<CRNN_HOME>/pg`, listening only on a Unix socket, trust authentication for the socket's owner.
///
/// When crnn-cluster runs as root the server runs as the `postgres` user (PostgreSQL refuses
/// root); otherwise as the invoking user. Starting a running cluster is harmless, and a stale
/// `postmaster.pid` left by a crash is recognised and removed.
public struct LocalPostgres: Sendable {
    public static let port = 5432
    public static let databaseName = "crnn"
    public static let superuser = "postgres"

    public enum Failure: Error, CustomStringConvertible {
        case binariesMissing(searched: [String])
        case toolFailed(tool: String, output: String)
        case notInitialised(dataDirectory: String)

        public var description: String {
            switch self {
            case .binariesMissing(let searched):
                return "PostgreSQL server programs (initdb, pg_ctl) not found in \(searched.joined(separator: ", ")). "
                    + "Install the Debian package: apt-get install postgresql (or run scripts/bootstrap)."
            case .toolFailed(let tool, let output):
                return "\(tool) failed:\n\(output.trimmingCharacters(in: .whitespacesAndNewlines))"
            case .notInitialised(let dataDirectory):
                return "no local PostgreSQL cluster at \(dataDirectory); run `crnnctl db start` first"
            }
        }
    }

    public enum State: Equatable, Sendable {
        case notCreated, stopped, running(pid: Int32)
    }

    public let home: CRNNHome
    /// The directory holding `data/`, `log` and (usually) the socket.
    public let clusterDirectory: String
    public let socketDirectory: String
    /// The OS user the server runs as: `postgres` under root, else nil (the invoking user).
    public let serverUser: String?

    public init(home: CRNNHome) {
        self.home = home
        let runningAsRoot = getuid() == 0
        serverUser = runningAsRoot ? LocalPostgres.superuser : nil
        var cluster = home.postgresDirectory
        if runningAsRoot && !LocalPostgres.serverUserCanReach(parentOf: cluster) {
            // e.g. a checkout under /root (mode 700): the postgres user cannot enter it, so the
            // cluster lives in a fixed place derived from the home path instead.
            cluster = "/var/tmp/crnn-pg-\(LocalPostgres.shortHash(home.path))"
        }
        clusterDirectory = cluster
        // A Unix socket path must fit in 107 bytes including "/.s.PGSQL.5432".
        let socket = cluster + "/run"
        socketDirectory = socket.utf8.count + 15 < 100
            ? socket : "/tmp/crnn-pg-\(getuid())-\(LocalPostgres.shortHash(home.path))"
    }

    public var dataDirectory: String { clusterDirectory + "/data" }
    public var logFile: String { clusterDirectory + "/log" }

    /// The connection URL of the `crnn` database (valid once started).
    public var url: String {
        "postgresql:///\(LocalPostgres.databaseName)?host=\(percentEncoded(socketDirectory))"
            + "&port=\(LocalPostgres.port)&user=\(LocalPostgres.superuser)"
    }

    // MARK: lifecycle

    /// Creates the cluster if needed and starts it if it is not running. Idempotent.
    /// - Returns: true when this call started the server.
    @discardableResult
    public func start() throws -> Bool {
        let bin = try LocalPostgres.binDirectory()
        if case .running = state() {
            try ensureDatabase()
            return false
        }
        try prepareDirectories()
        if !FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") {
            try runTool(bin + "/initdb", [
                "-D", dataDirectory, "-U", LocalPostgres.superuser, "-A", "trust", "-E", "UTF8",
                "--locale=C.UTF-8", "--no-sync",
            ])
        }
        removeStaleLockFiles()
        let options = "-c listen_addresses='' -k \(socketDirectory) -p \(LocalPostgres.port)"
            + " -c unix_socket_permissions=0700 -c max_connections=200 -c fsync=on"
        try runTool(bin + "/pg_ctl", [
            "-D", dataDirectory, "-l", logFile, "-w", "-t", "60", "-o", options, "start",
        ])
        try ensureDatabase()
        return true
    }

    /// Stops the server (fast shutdown). Harmless when it is not running.
    /// - Returns: true when this call stopped a running server.
    @discardableResult
    public func stop() throws -> Bool {
        guard case .running = state() else { return false }
        let bin = try LocalPostgres.binDirectory()
        try runTool(bin + "/pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "stop"])
        return true
    }

    /// Whether the cluster exists and whether its postmaster is alive.
    public func state() -> State {
        guard FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") else { return .notCreated }
        guard let pid = LocalPostgres.livePostmasterPID(lockFile: dataDirectory + "/postmaster.pid") else {
            return .stopped
        }
        return .running(pid: pid)
    }

    // MARK: helpers

    private func prepareDirectories() throws {
        let fm = FileManager.default
        for directory in [clusterDirectory, socketDirectory] {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
            chmod(directory, 0o700)
            if let user = serverUser, let entry = getpwnam(user) {
                chown(directory, entry.pointee.pw_uid, entry.pointee.pw_gid)
            }
        }
    }

    /// Creates the `crnn` database on first start.
    private func ensureDatabase() throws {
        let admin = try PostgresConnection(url: url.replacingOccurrences(
            of: "///\(LocalPostgres.databaseName)?", with: "///postgres?"))
        let exists = try admin.execute(Queries.databaseExists, [LocalPostgres.databaseName])
        if exists.isEmpty {
            // CREATE DATABASE takes no bind parameters; the name is our constant.
            try admin.execute("CREATE DATABASE \(LocalPostgres.databaseName)")
        }
    }

    /// A crash leaves `postmaster.pid` and the socket lock behind; PostgreSQL refuses to start
    /// if their PID now belongs to some other live process, so remove them when no postmaster
    /// of ours holds them.
    private func removeStaleLockFiles() {
        let lockFiles = [
            dataDirectory + "/postmaster.pid",
            socketDirectory + "/.s.PGSQL.\(LocalPostgres.port).lock",
        ]
        for file in lockFiles where FileManager.default.fileExists(atPath: file) {
            if LocalPostgres.livePostmasterPID(lockFile: file) == nil {
                try? FileManager.default.removeItem(atPath: file)
            }
        }
    }

    private func runTool(_ tool: String, _ arguments: [String]) throws {
        let output = try CommandRunner.run([tool] + arguments, asUser: serverUser)
        guard output.status == 0 else {
            var text = output.text
            if let log = try? String(contentsOfFile: logFile, encoding: .utf8) {
                text += "\n--- \(logFile) (last lines) ---\n" + log.split(separator: "\n").suffix(15).joined(separator: "\n")
            }
            throw Failure.toolFailed(tool: URL(fileURLWithPath: tool).lastPathComponent, output: text)
        }
    }

    /// The PID recorded in a PostgreSQL lock file, if that process is alive and is a postgres.
    static func livePostmasterPID(lockFile: String) -> Int32? {
        guard let text = try? String(contentsOfFile: lockFile, encoding: .utf8),
              let first = text.split(separator: "\n").first,
              let pid = Int32(first.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "-", with: "")),
              pid > 0
        else { return nil }
        guard kill(pid, 0) == 0 || errno == EPERM else { return nil }
        // The PID may have been reused by an unrelated process after a crash.
        let command = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? ""
        return command.hasPrefix("postgres") ? pid : nil
    }

    /// Directory with `initdb` and `pg_ctl`: `$CRNN_PG_BIN`, else the newest Debian
    /// `/usr/lib/postgresql/N/bin`, else `pg_config --bindir` on PATH.
    public static func binDirectory(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        debianRoot: String = "/usr/lib/postgresql"
    ) throws -> String {
        var searched: [String] = []
        var candidates: [String] = []
        if let explicit = environment["CRNN_PG_BIN"], !explicit.isEmpty { candidates.append(explicit) }
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: debianRoot)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        candidates += versions.map { "\(debianRoot)/\($0)/bin" }
        for path in (environment["PATH"] ?? "").split(separator: ":") { candidates.append(String(path)) }
        for directory in candidates {
            searched.append(directory)
            if FileManager.default.isExecutableFile(atPath: directory + "/pg_ctl"),
               FileManager.default.isExecutableFile(atPath: directory + "/initdb") {
                return directory
            }
        }
        throw Failure.binariesMissing(searched: Array(searched.prefix(4)) + (searched.count > 4 ? ["$PATH"] : []))
    }

    /// Whether the `postgres` user can enter every directory above `path`.
    static func serverUserCanReach(parentOf path: String) -> Bool {
        var directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        let fm = FileManager.default
        while !fm.fileExists(atPath: directory.path) { directory.deleteLastPathComponent() }
        let output = try? CommandRunner.run(["/usr/bin/test", "-x", directory.path], asUser: superuser)
        return output?.status == 0
    }

    static func shortHash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash & 0xffff_ffff, radix: 16)
    }
}

private func percentEncoded(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "/-._~")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
}
