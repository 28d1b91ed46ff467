import Foundation
import Logging
import Store

/// Renews this worker's leases from its own thread and connection, so a long training step never
/// lets a lease lapse, and tells the shard loop which shards it still holds.
final class Heartbeat: @unchecked Sendable {
    private let lock = NSLock()
    private var held: [Int64: RunState] = [:]
    /// When the last completed beat asked the database (its answer predates later claims).
    private var lastBeatStarted = Date.distantPast
    private var claimedAt: [Int64: Date] = [:]
    private var running = true
    private let worker: Int64
    private let settings: WorkerSettings
    private let logger: Logger
    private var thread: Thread?

    init(worker: Int64, settings: WorkerSettings, logger: Logger) {
        self.worker = worker
        self.settings = settings
        self.logger = logger
    }

    func start() {
        let thread = Thread { [self] in loop() }
        thread.name = "heartbeat"
        thread.start()
        self.thread = thread
    }

    func stop() { lock.withLock { running = false } }

    /// Whether the last heartbeat found `shard` still leased to us. A beat that asked the
    /// database before the shard was claimed says nothing about it, so the shard counts as held.
    func stillHolds(shard: Int64) -> (held: Bool, runState: RunState?) {
        lock.withLock {
            if let state = held[shard] { return (true, state) }
            if let claimed = claimedAt[shard], claimed >= lastBeatStarted { return (true, nil) }
            return (false, nil)
        }
    }

    /// Records a newly claimed shard.
    func claimed(shard: Int64) { lock.withLock { claimedAt[shard] = Date() } }

    /// Forgets a shard this worker finished or gave back.
    func released(shard: Int64) { lock.withLock { claimedAt[shard] = nil } }

    private func loop() {
        var connection: PostgresConnection?
        var backoff = 1.0
        while lock.withLock({ running }) {
            do {
                if connection == nil || connection?.isHealthy == false {
                    connection = try PostgresConnection(url: settings.database.connectionURL(),
                                                        applicationName: "crnn-worker heartbeat")
                }
                let started = Date()
                let shards = try WorkerRegistry(connection: connection!)
                    .heartbeat(worker: worker, leaseSeconds: settings.leaseSeconds)
                lock.withLock {
                    held = Dictionary(shards.map { ($0.shard, $0.runState) }, uniquingKeysWith: { a, _ in a })
                    lastBeatStarted = started
                }
                backoff = 1
                sleep(seconds: settings.leaseSeconds / 3)
            } catch {
                logger.warning("heartbeat failed, retrying in \(backoff) s: \(error)")
                connection = nil
                sleep(seconds: backoff)
                backoff = min(backoff * 2, settings.leaseSeconds / 3)
            }
        }
    }

    private func sleep(seconds: Double) {
        // Sleep in slices so stop() takes effect quickly.
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline && lock.withLock({ running }) { Thread.sleep(forTimeInterval: 0.2) }
    }
}
