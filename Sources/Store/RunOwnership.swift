import Foundation

/// One coordinator per run: a coordinator trains a run only while it holds the run's
/// session-level advisory lock on its database connection.
///
/// The lock lives exactly as long as the connection that took it. A coordinator that dies, or
/// whose connection breaks (PostgreSQL restarted), loses its runs at once; a restarted one takes
/// them again without waiting for a lease to run out. Every write a coordinator makes for a run
/// (metrics, checkpoints, its state) goes over that same connection, and it writes for a run only
/// after taking or confirming the lock on the current connection: the connection is the fence.
/// A second coordinator on the same database finds the lock taken and serves other runs.
///
/// Keys: (`lockSpace`, run id) in PostgreSQL's two-int4 advisory lock space; run ids above 2^31
/// share keys with smaller ones (a run would wait for another's coordinator, never be trained twice).
public struct RunOwnership {
    /// "crnn" as an int4: keeps these locks apart from any other user of advisory locks.
    public static let lockSpace: Int32 = 0x6372_6E6E
    let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    /// Takes the run if no other session holds it. Locks stack within a session: take each run
    /// once per connection (the coordinator keeps the set of runs it holds).
    public func take(run: Int64) throws -> Bool {
        let result = try connection.execute(Queries.tryLockRun, [Int64(Self.lockSpace), Self.key(run)])
        return result.string(0, 0) == "t"
    }

    /// Gives the run up (it completed, failed, or this coordinator stops serving it).
    public func release(run: Int64) throws {
        _ = try connection.execute(Queries.unlockRun, [Int64(Self.lockSpace), Self.key(run)])
    }

    /// The process id of the session holding `run` (nil when free), for messages and tests.
    public func holder(run: Int64) throws -> Int? {
        let result = try connection.execute(Queries.selectRunLockHolder, [Int64(Self.lockSpace), Self.key(run)])
        return result.isEmpty ? nil : try result.int(0, 0)
    }

    static func key(_ run: Int64) -> Int64 { Int64(Int32(truncatingIfNeeded: run)) }
}
