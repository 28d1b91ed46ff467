import Foundation
import Testing
import TestSupport
@testable import Store

/// The queue against a live PostgreSQL: concurrency, leases, idempotent completion, pause/cancel.
@Suite struct ShardQueueTests {
    @Test func concurrentClaimersClaimEveryShardExactlyOnce() throws {
        let url = try TestDatabase.freshDatabaseURL()
        let setup = try PostgresConnection(url: url)
        try Migrator(connection: setup).migrate()
        let run = try StoreFixtures.runningRun(setup, shards: 5000)
        let claimers = 32
        let workers = try (0..<claimers).map { try StoreFixtures.worker(setup, "w\($0)") }

        let claimed = ClaimLog()
        let threads = workers.map { worker in
            Thread {
                do {
                    let queue = ShardQueue(connection: try PostgresConnection(url: url))
                    while let shard = try queue.claim(worker: worker, leaseSeconds: 600) {
                        claimed.append(shard.id, by: worker)
                    }
                } catch {
                    claimed.fail(error)
                }
                claimed.finishedOne()
            }
        }
        threads.forEach { $0.start() }
        claimed.waitForAll(claimers)

        #expect(claimed.errors.isEmpty, "\(claimed.errors)")
        let ids = claimed.ids.map(\.shard)
        #expect(ids.count == 5000, "every shard claimed once")
        #expect(Set(ids).count == ids.count, "no shard claimed twice")
        let counts = try ShardQueue(connection: setup).counts(run: run)
        #expect(counts == [.running: 5000], "none lost, none left")
        // The database agrees with the claimers about who holds what.
        let owners = try setup.execute("SELECT count(*) FROM shards WHERE run_id = $1 AND lease_owner IS NOT NULL", [run])
        #expect(try owners.int(0, 0) == 5000)
        #expect(Set(claimed.ids.map(\.worker)).count > 1, "the work was shared")
    }

    @Test func expiredLeaseReturnsTheShardAndTheOldOwnerIsRefused() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let run = try StoreFixtures.runningRun(connection, shards: 1)
        let (slow, fast) = (try StoreFixtures.worker(connection, "slow"), try StoreFixtures.worker(connection, "fast"))
        let queue = ShardQueue(connection: connection)
        let shard = try #require(try queue.claim(worker: slow, leaseSeconds: 0.01))
        // A bounded poll: the 10 ms lease expires on the server's clock.
        var rescued: [ShardQueue.Rescued] = []
        for _ in 0..<200 where rescued.isEmpty {
            rescued = try queue.rescueExpired()
            if rescued.isEmpty { usleep(10_000) }
        }
        #expect(rescued == [.init(shard: shard.id, run: run, state: .available, attempt: 1)])
        #expect(try queue.complete(shard: shard.id, worker: slow) == .refused(.notOwner(current: .available)))
        #expect(try queue.renew(shard: shard.id, worker: slow, leaseSeconds: 60) == false)

        let again = try #require(try queue.claim(worker: fast, leaseSeconds: 60))
        #expect(again.id == shard.id && again.attempt == 1)
        #expect(try queue.complete(shard: shard.id, worker: fast) == .completed)
        #expect(try queue.complete(shard: shard.id, worker: slow) == .refused(.notOwner(current: .completed(by: fast))))
        #expect(try queue.counts(run: run) == [.completed: 1])
    }

    @Test func completingTwiceCountsOnceWithItsMetrics() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let run = try StoreFixtures.runningRun(connection, shards: 2)
        let worker = try StoreFixtures.worker(connection)
        let queue = ShardQueue(connection: connection)
        let shard = try #require(try queue.claim(worker: worker, leaseSeconds: 60))
        let metrics = [MetricSample(run: run, step: 5, name: MetricName.trainLoss, value: 1.5, worker: worker)]
        #expect(try queue.complete(shard: shard.id, worker: worker, metrics: metrics) == .completed)
        #expect(try queue.complete(shard: shard.id, worker: worker, metrics: metrics) == .alreadyCompleted)
        #expect(try queue.counts(run: run) == [.completed: 1, .available: 1])
        #expect(try MetricsStore(connection: connection).series(run: run).count == 1, "metrics inserted once")
    }

    @Test func pauseStopsClaimsAndResumeRestartsThem() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let store = RunStore(connection: connection)
        let queued = try StoreFixtures.runningRun(connection, shards: 3, start: false)
        let worker = try StoreFixtures.worker(connection)
        let queue = ShardQueue(connection: connection)
        #expect(try queue.claim(worker: worker, leaseSeconds: 60) == nil, "a queued run hands out nothing")
        try store.apply(.start, run: queued, actor: "test")
        #expect(try queue.claim(worker: worker, leaseSeconds: 60) != nil)
        #expect(try store.apply(.pause, run: queued, actor: "test") == .paused)
        #expect(try queue.claim(worker: worker, leaseSeconds: 60) == nil, "a paused run hands out nothing")

        // Resume wakes a listening claimer through NOTIFY.
        let listener = try PostgresConnection(url: connection.url)
        try listener.listen(ShardQueue.channel)
        #expect(try store.apply(.resume, run: queued, actor: "test") == .running)
        let woken = try listener.waitForNotifications(timeout: 10)
        #expect(woken == [.init(channel: ShardQueue.channel, payload: String(queued))])
        #expect(try queue.claim(worker: worker, leaseSeconds: 60) != nil)

        let events = try connection.execute(
            "SELECT coalesce(from_state::text, '-') || '>' || to_state FROM run_events WHERE run_id = $1 ORDER BY id", [queued])
        #expect(events.rows.map { String(decoding: $0[0] ?? [], as: UTF8.self) }
            == ["->queued", "queued>running", "running>paused", "paused>running"])
    }

    @Test func cancelStopsClaimsForGood() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let store = RunStore(connection: connection)
        let run = try StoreFixtures.runningRun(connection, shards: 3)
        let worker = try StoreFixtures.worker(connection)
        let queue = ShardQueue(connection: connection)
        #expect(try store.apply(.cancel, run: run, actor: "test") == .cancelled)
        #expect(try queue.claim(worker: worker, leaseSeconds: 60) == nil)
        #expect(try store.apply(.cancel, run: run, actor: "test") == .cancelled, "cancel twice is harmless")
        #expect(throws: RunStore.Failure.self) { try store.apply(.resume, run: run, actor: "test") }
        #expect(throws: RunStore.Failure.noSuchRun(999)) { try store.apply(.pause, run: 999, actor: "test") }
    }

    @Test func higherPriorityRunIsServedFirstAndGiveBackCostsNothing() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let low = try StoreFixtures.runningRun(connection, shards: 2, priority: 0)
        let high = try StoreFixtures.runningRun(connection, shards: 1, priority: 5)
        let worker = try StoreFixtures.worker(connection)
        let queue = ShardQueue(connection: connection)
        let first = try #require(try queue.claim(worker: worker, leaseSeconds: 60))
        #expect(first.run == high && first.psAddress == "127.0.0.1:7070")
        #expect(try queue.giveBack(shard: first.id, worker: worker))
        let again = try #require(try queue.claim(worker: worker, leaseSeconds: 60))
        #expect(again.id == first.id && again.attempt == 0)
        let next = try #require(try queue.claim(worker: worker, leaseSeconds: 60))
        #expect(next.run == low && next.epoch == 0 && next.index == 0)
    }

    @Test func heartbeatRenewsLeasesAndReportsRunState() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let run = try StoreFixtures.runningRun(connection, shards: 2)
        let registry = WorkerRegistry(connection: connection)
        let worker = try StoreFixtures.worker(connection)
        let queue = ShardQueue(connection: connection)
        let shard = try #require(try queue.claim(worker: worker, leaseSeconds: 0.01))
        try RunStore(connection: connection).apply(.pause, run: run, actor: "test")
        let held = try registry.heartbeat(worker: worker, leaseSeconds: 600)
        #expect(held == [.init(shard: shard.id, run: run, runState: .paused)])
        #expect(try queue.rescueExpired().isEmpty, "the heartbeat renewed the lease")
        #expect(throws: WorkerRegistry.Failure.unknownWorker(12345)) {
            try registry.heartbeat(worker: 12345, leaseSeconds: 1)
        }
    }
}

/// Thread-safe record of what concurrent claimers did.
final class ClaimLog: @unchecked Sendable {
    private let lock = NSCondition()
    private(set) var ids: [(shard: Int64, worker: Int64)] = []
    private(set) var errors: [String] = []
    private var finished = 0

    func append(_ shard: Int64, by worker: Int64) { lock.lock(); ids.append((shard, worker)); lock.unlock() }
    func fail(_ error: Error) { lock.lock(); errors.append("\(error)"); lock.unlock() }
    func finishedOne() { lock.lock(); finished += 1; lock.broadcast(); lock.unlock() }
    func waitForAll(_ count: Int) {
        lock.lock()
        while finished < count { lock.wait() }
        lock.unlock()
    }
}
