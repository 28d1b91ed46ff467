import Foundation
import Testing
import TestSupport
@testable import Store

/// The lease rules exist only as SQL (sql/queries/shards.sql): one story drives every move
/// through `ShardQueue` against PostgreSQL. Leases renewed or claimed for -1 s are expired at
/// once, so no test waits for a clock.
@Suite struct LeaseRulesTests {
    @Test func claimRenewCompleteGiveBackFailExpireAndRescue() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let run = try StoreFixtures.runningRun(connection, shards: 4, maxAttempts: 2)
        let (w1, w2) = (try StoreFixtures.worker(connection, "w1"), try StoreFixtures.worker(connection, "w2"))
        let queue = ShardQueue(connection: connection)

        // Shard 0: only the owner renews and completes; completing twice counts once.
        let a = try #require(try queue.claim(worker: w1, leaseSeconds: 60))
        #expect(a.index == 0 && a.attempt == 0)
        #expect(try queue.renew(shard: a.id, worker: w1, leaseSeconds: 60))
        #expect(try queue.renew(shard: a.id, worker: w2, leaseSeconds: 60) == false)
        guard case .refused(.notOwner(.leased(w1, _))) = try queue.complete(shard: a.id, worker: w2) else {
            Issue.record("a completion by a worker without the lease must be refused, naming the owner"); return
        }
        #expect(try queue.complete(shard: a.id, worker: w1) == .completed)
        #expect(try queue.complete(shard: a.id, worker: w1) == .alreadyCompleted)
        #expect(try queue.complete(shard: a.id, worker: w2) == .refused(.notOwner(current: .completed(by: w1))))

        // Shard 1: giving back costs no attempt; reported failures do, until none is left.
        let b = try #require(try queue.claim(worker: w1, leaseSeconds: 60))
        #expect(b.index == 1)
        #expect(try queue.giveBack(shard: b.id, worker: w2) == false)
        #expect(try queue.giveBack(shard: b.id, worker: w1))
        let again = try #require(try queue.claim(worker: w2, leaseSeconds: 60))
        #expect(again.id == b.id && again.attempt == 0, "first in line again, no attempt spent")
        guard case .refused(.notOwner(.leased(w2, _))) = try queue.fail(shard: b.id, worker: w1, reason: "not mine") else {
            Issue.record("a failure reported by a worker without the lease must be refused"); return
        }
        #expect(try queue.fail(shard: b.id, worker: w2, reason: "out of memory") == .returned(attempt: 1))
        let last = try #require(try queue.claim(worker: w1, leaseSeconds: 60))
        #expect(last.id == b.id && last.attempt == 1)
        #expect(try queue.fail(shard: b.id, worker: w1, reason: "out of memory again") == .failed(attempt: 2))
        #expect(try queue.fail(shard: b.id, worker: w1, reason: "late") == .refused(.notOwner(current: .failed)))
        #expect(try queue.lastFailure(run: run) == "out of memory again")

        // Shard 2: an expired lease costs an attempt and its late owner is refused; until none is left.
        let c = try #require(try queue.claim(worker: w1, leaseSeconds: 60))
        #expect(c.index == 2)
        #expect(try queue.rescueExpired().isEmpty, "a lease that holds is not rescued")
        #expect(try queue.renew(shard: c.id, worker: w1, leaseSeconds: -1))
        #expect(try queue.rescueExpired() == [.init(shard: c.id, run: run, state: .available, attempt: 1)])
        #expect(try queue.complete(shard: c.id, worker: w1) == .refused(.notOwner(current: .available)))
        #expect(try queue.renew(shard: c.id, worker: w1, leaseSeconds: 60) == false)
        let expiring = try #require(try queue.claim(worker: w2, leaseSeconds: -1))
        #expect(expiring.id == c.id && expiring.attempt == 1)
        #expect(try queue.rescueExpired() == [.init(shard: c.id, run: run, state: .failed, attempt: 2)])
        #expect(try queue.lastFailure(run: run)?.hasPrefix("lease of worker \(w2) expired at") == true)

        // Shard 3: a lease past its expiry that nobody took back still completes: no work was lost.
        let d = try #require(try queue.claim(worker: w1, leaseSeconds: -1))
        #expect(d.index == 3)
        #expect(try queue.complete(shard: d.id, worker: w1) == .completed)

        #expect(try queue.claim(worker: w1, leaseSeconds: 60) == nil)
        #expect(try queue.counts(run: run) == [.completed: 2, .failed: 2])
    }
}
