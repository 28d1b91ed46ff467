import Foundation

/// Worker processes: each registers once at start and heartbeats; a heartbeat also renews the
/// leases of every shard the worker holds, so a live worker never loses its shard.
public struct WorkerRegistry {
    public struct Registration: Equatable, Sendable {
        public let name: String
        public let host: String
        public let pid: Int
        public let threads: Int
        public let version: String

        public init(name: String, host: String, pid: Int, threads: Int, version: String) {
            self.name = name; self.host = host; self.pid = pid; self.threads = threads; self.version = version
        }

        /// This process, on this host.
        public static func current(name: String? = nil, threads: Int, version: String) -> Registration {
            let host = ProcessInfo.processInfo.hostName
            let pid = Int(ProcessInfo.processInfo.processIdentifier)
            return Registration(name: name ?? "\(host)-\(pid)", host: host, pid: pid, threads: threads, version: version)
        }
    }

    /// A shard a heartbeat renewed, with its run's state: a worker drops (gives back) shards of
    /// runs that are no longer running.
    public struct HeldShard: Equatable, Sendable {
        public let shard: Int64
        public let run: Int64
        public let runState: RunState
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case unknownWorker(Int64)
        public var description: String {
            switch self {
            case .unknownWorker(let id): return "worker \(id) is not registered"
            }
        }
    }

    let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    /// - Returns: the new worker id (a restarted process registers anew).
    public func register(_ registration: Registration) throws -> Int64 {
        let result = try connection.execute(Queries.registerWorker, [
            registration.name, registration.host, registration.pid, registration.threads, registration.version,
        ])
        guard let id = try result.int(0, 0) else { throw PostgresError(.protocolMismatch, "INSERT INTO workers returned no id") }
        return Int64(id)
    }

    /// Records that `worker` is alive and extends its leases to now + `leaseSeconds`, in one
    /// transaction: a heartbeat that arrives is a lease that holds.
    /// - Returns: the shards it still holds (a shard missing here was taken back: stop training it).
    /// - Throws: `Failure.unknownWorker`.
    public func heartbeat(worker: Int64, leaseSeconds: Double) throws -> [HeldShard] {
        try connection.transaction {
            let beat = try connection.execute(Queries.heartbeatWorker, [worker])
            guard beat.affectedRows == 1 else { throw Failure.unknownWorker(worker) }
            let held = try connection.execute(Queries.renewWorkerLeases, [worker, leaseSeconds])
            return try (0..<held.count).map { row in
                HeldShard(shard: Int64(try held.int(row, 0) ?? 0), run: Int64(try held.int(row, 1) ?? 0),
                          runState: try held.named(RunState.self, row, 2))
            }
        }
    }

    /// A worker as a run's page shows it.
    public struct RunWorker: Equatable, Sendable {
        public let id: Int64
        public let name: String
        public let host: String
        public let threads: Int
        public let lastHeartbeat: String
        public let secondsSinceHeartbeat: Double
        public let shardsRunning: Int
        public let shardsCompleted: Int
        /// What it stored with its latest completed shard of the run (nil before its first).
        public let samplesPerSecond: Double?
    }

    /// The workers that hold or completed shards of `run`, by id.
    public func workers(run: Int64) throws -> [RunWorker] {
        let result = try connection.execute(Queries.selectRunWorkers, [run])
        return try (0..<result.count).map { row in
            RunWorker(id: Int64(try result.int(row, 0) ?? 0), name: result.string(row, 1) ?? "",
                      host: result.string(row, 2) ?? "", threads: try result.int(row, 3) ?? 0,
                      lastHeartbeat: result.string(row, 4) ?? "", secondsSinceHeartbeat: try result.double(row, 5) ?? 0,
                      shardsRunning: try result.int(row, 6) ?? 0, shardsCompleted: try result.int(row, 7) ?? 0,
                      samplesPerSecond: try result.double(row, 8))
        }
    }
}
