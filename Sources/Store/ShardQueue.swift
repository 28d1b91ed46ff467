import Foundation

/// A shard a worker holds: what to train, and until when its lease runs.
public struct ClaimedShard: Equatable, Sendable {
    public let id: Int64
    public let run: Int64
    public let epoch: Int
    public let index: Int
    public let seed: Int64
    public let sliceStart: Int?
    public let sliceCount: Int?
    public let sampleCount: Int
    /// Failed attempts before this one.
    public let attempt: Int
    public let leaseExpiresAt: String
    /// Where the run's parameter server listens (nil until its coordinator published it).
    public let psAddress: String?

    public init(id: Int64, run: Int64, epoch: Int, index: Int, seed: Int64, sliceStart: Int?, sliceCount: Int?,
                sampleCount: Int, attempt: Int, leaseExpiresAt: String, psAddress: String?) {
        self.id = id
        self.run = run
        self.epoch = epoch
        self.index = index
        self.seed = seed
        self.sliceStart = sliceStart
        self.sliceCount = sliceCount
        self.sampleCount = sampleCount
        self.attempt = attempt
        self.leaseExpiresAt = leaseExpiresAt
        self.psAddress = psAddress
    }
}

/// The work queue workers use: claim with a lease, renew, complete (with the shard's last
/// metrics, in one transaction), give back or fail; and the rescuer that returns expired leases.
///
/// Every move is one statement of sql/queries/shards.sql, the only place the lease rules are
/// written (who may make which move, and when spent attempts fail a shard); this type runs them
/// and reads their results. Only shards of `running` runs are handed out: queued, paused,
/// cancelled and finished runs give nothing. Idle claimers sleep on `LISTEN crnn_shards` and
/// poll as a fallback.
public struct ShardQueue {
    /// NOTIFY channel, payload = run id: shards of that run just became claimable.
    public static let channel = "crnn_shards"

    public enum Completion: Equatable, Sendable {
        case completed
        /// This worker had completed it already: nothing counted twice, no metrics inserted twice.
        case alreadyCompleted
        /// The worker does not hold the lease (it expired and the shard was rescued or re-claimed).
        case refused(Refusal)
    }

    /// What reporting a failure did with the shard.
    public enum AttemptOutcome: Equatable, Sendable {
        /// Back in the queue, with `attempt` attempts spent.
        case returned(attempt: Int)
        /// `attempt` reached the shard's max_attempts: failed for good.
        case failed(attempt: Int)
        case refused(Refusal)
    }

    /// Why a statement that needed the caller's lease changed nothing.
    public enum Refusal: Equatable, Sendable, CustomStringConvertible {
        /// The caller does not hold the lease: it expired and went to someone else, or never was its.
        case notOwner(current: LeaseState)

        public var description: String {
            switch self {
            case .notOwner(let state): return "this worker does not hold the shard's lease (now \(state))"
            }
        }
    }

    public struct Rescued: Equatable, Sendable {
        public let shard: Int64
        public let run: Int64
        public let state: ShardState
        public let attempt: Int
    }

    let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    // MARK: claim

    /// Claims the next shard for `worker` with a lease of `leaseSeconds`.
    /// - Returns: nil when no running run has an available shard (or the last ones are being
    ///   claimed by others at this instant).
    public func claim(worker: Int64, leaseSeconds: Double) throws -> ClaimedShard? {
        // Prepared: the statement every idle worker runs most, parsed and planned once per connection.
        let result = try connection.executePrepared("crnn_claim_shard", Queries.claimShard, [worker, leaseSeconds])
        guard !result.isEmpty else { return nil }
        return ClaimedShard(
            id: Int64(try result.int(0, 0) ?? 0), run: Int64(try result.int(0, 1) ?? 0),
            epoch: try result.int(0, 2) ?? 0, index: try result.int(0, 3) ?? 0,
            seed: Int64(try result.int(0, 4) ?? 0), sliceStart: try result.int(0, 5), sliceCount: try result.int(0, 6),
            sampleCount: try result.int(0, 7) ?? 0, attempt: try result.int(0, 8) ?? 0,
            leaseExpiresAt: result.string(0, 9) ?? "", psAddress: result.string(0, 10))
    }

    /// Claims, or sleeps until a NOTIFY on `channel` (or `pollInterval` passes, in case a
    /// notification was missed) and tries again, until `timeout`.
    public func claim(worker: Int64, leaseSeconds: Double, waitingUpTo timeout: Double, pollInterval: Double = 5) throws -> ClaimedShard? {
        try connection.listen(Self.channel)
        let deadline = ProcessInfo.processInfo.systemUptime + timeout
        while true {
            if let shard = try claim(worker: worker, leaseSeconds: leaseSeconds) { return shard }
            let remaining = deadline - ProcessInfo.processInfo.systemUptime
            if remaining <= 0 { return nil }
            _ = try connection.waitForNotifications(timeout: min(pollInterval, remaining))
        }
    }

    // MARK: while holding

    /// Extends one lease. False when `worker` no longer holds the shard.
    public func renew(shard: Int64, worker: Int64, leaseSeconds: Double) throws -> Bool {
        try connection.execute(Queries.renewLease, [shard, worker, leaseSeconds]).affectedRows == 1
    }

    /// Marks the shard completed and inserts its final metrics in the same transaction, so a
    /// shard's metrics are counted exactly when the shard is. The UPDATE's WHERE is the whole
    /// ownership check; when it matches nothing, the row's `LeaseState` explains why.
    public func complete(shard: Int64, worker: Int64, metrics: [MetricSample] = []) throws -> Completion {
        try connection.transaction {
            let updated = try connection.execute(Queries.completeShard, [shard, worker])
            if updated.affectedRows == 1 {
                try MetricsStore(connection: connection).insert(metrics)
                return .completed
            }
            return try lease(shard: shard).completion(by: worker)
        }
    }

    /// Returns a shard to the queue without spending an attempt (worker stopping, run paused).
    public func giveBack(shard: Int64, worker: Int64) throws -> Bool {
        try connection.transaction {
            let result = try connection.execute(Queries.giveBackShard, [shard, worker])
            guard let run = try result.isEmpty ? nil : result.int(0, 0) else { return false }
            try Self.notifyAvailable(run: Int64(run), on: connection)
            return true
        }
    }

    /// The owner reports a failure: one attempt spent, back in the queue or failed for good.
    /// - Returns: `.returned`, `.failed`, or `.refused` when `worker` does not hold the lease.
    public func fail(shard: Int64, worker: Int64, reason: String) throws -> AttemptOutcome {
        try connection.transaction {
            let result = try connection.execute(Queries.failShard, [shard, worker, reason])
            guard !result.isEmpty else { return .refused(.notOwner(current: try lease(shard: shard))) }
            let attempt = try result.int(0, 1) ?? 0
            if result.string(0, 0) == ShardState.failed.rawValue { return .failed(attempt: attempt) }
            try Self.notifyAvailable(run: Int64(try result.int(0, 2) ?? 0), on: connection)
            return .returned(attempt: attempt)
        }
    }

    // MARK: rescuer

    /// Returns shards whose lease expired to the queue (attempt + 1), failing those past
    /// max_attempts, and wakes idle claimers. Two coordinators may rescue at once: neither waits
    /// on, or double-counts, the other's shards.
    public func rescueExpired() throws -> [Rescued] {
        try connection.transaction {
            let result = try connection.execute(Queries.rescueExpiredLeases)
            let rescued = try (0..<result.count).map { row in
                Rescued(shard: Int64(try result.int(row, 0) ?? 0), run: Int64(try result.int(row, 1) ?? 0),
                        state: try result.named(ShardState.self, row, 2),
                        attempt: try result.int(row, 3) ?? 0)
            }
            for run in Set(rescued.filter { $0.state == .available }.map(\.run)).sorted() {
                try Self.notifyAvailable(run: run, on: connection)
            }
            return rescued
        }
    }

    // MARK: reading

    /// How many shards of `run` are in each state (states with none are absent).
    public func counts(run: Int64) throws -> [ShardState: Int] {
        let result = try connection.execute(Queries.countShardsByState, [run])
        var counts: [ShardState: Int] = [:]
        for row in 0..<result.count {
            if let state = ShardState(rawValue: result.string(row, 0) ?? "") { counts[state] = try result.int(row, 1) ?? 0 }
        }
        return counts
    }

    /// What a worker's failure reason says when a shard's gradient was NaN or ∞.
    public static let nonFiniteGradientReason = "the gradient is not finite (NaN or ∞)"

    /// Shards of `run` whose last failure was a gradient that is not finite.
    public func nonFiniteFailures(run: Int64) throws -> Int {
        try connection.execute(Queries.countShardsWithError, [run, Self.nonFiniteGradientReason]).int(0, 0) ?? 0
    }

    /// The reason the most recently failed shard of `run` gave (nil when none failed).
    public func lastFailure(run: Int64) throws -> String? {
        let result = try connection.execute(Queries.selectLastShardFailure, [run])
        return result.isEmpty ? nil : result.string(0, 0)
    }

    /// The shard's lease as its row stands, to explain a refused statement.
    func lease(shard: Int64) throws -> LeaseState {
        let row = try connection.execute(Queries.selectShardLease, [shard])
        guard !row.isEmpty else { return .failed }
        return LeaseState(
            state: row.string(0, 0).flatMap(ShardState.init(rawValue:)), owner: try row.int(0, 1).map(Int64.init),
            expiresAt: try row.double(0, 2).map(Date.init(timeIntervalSince1970:)))
    }

    /// Wakes claimers sleeping in `claim(…waitingUpTo:)`; delivered when the caller's transaction commits.
    static func notifyAvailable(run: Int64, on connection: PostgresConnection) throws {
        try connection.execute(Queries.notifyShardsAvailable, [channel, String(run)])
    }
}
