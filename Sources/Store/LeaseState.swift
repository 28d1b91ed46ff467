import Foundation

/// A shard's lease as its row stands: who holds it and until when, or whose completion counted.
///
/// Read back only to tell a worker why a statement that needed its lease matched nothing. The
/// lease rules themselves (who may claim, renew, complete, give back or fail a shard, and when
/// spent attempts fail it) are the statements in sql/queries/shards.sql, the one place they are
/// written; `LeaseRulesTests` drives them through `ShardQueue` against PostgreSQL.
public enum LeaseState: Equatable, Sendable {
    case available
    /// Held by `owner` until `expiresAt`; after that the rescuer may take it back.
    case leased(owner: Int64, expiresAt: Date)
    /// `by` is the worker whose completion counted.
    case completed(by: Int64)
    /// Failed for good; also what a shard id that does not exist reads as.
    case failed

    /// The lease a shard row's columns describe (nil `state`: no such row). A running row always
    /// has an owner and an expiry (a CHECK in 003); completing keeps `lease_owner`, so a completed
    /// row still names the worker whose completion counted.
    init(state: ShardState?, owner: Int64?, expiresAt: Date?) {
        switch (state, owner) {
        case (.running?, let owner?): self = .leased(owner: owner, expiresAt: expiresAt ?? Date(timeIntervalSince1970: 0))
        case (.completed?, let owner?): self = .completed(by: owner)
        case (.available?, _): self = .available
        default: self = .failed
        }
    }

    /// What a completion by `worker` that updated no row means: the worker whose completion
    /// counted completed twice (the second counts nothing); anyone else does not hold the lease.
    func completion(by worker: Int64) -> ShardQueue.Completion {
        self == .completed(by: worker) ? .alreadyCompleted : .refused(.notOwner(current: self))
    }
}
