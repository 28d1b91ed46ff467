import Foundation
import Logging
import Store

/// Renews this worker's leases from its own thread and connection, so a long training step never
/// lets a lease lapse, and tells the shard loop which shards it still holds.
final class Heartbeat: @unchecked Sendable {
    private let lock = NSLock()
    private var held: [Int64: RunState] = [:]
    private var lastBeat = Date.distantPast
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

    /// Whether the last heartbeat found `shard` still leased to us (true before the first beat).
    func stillHolds(shard: Int64) -> (held: Bool, runState: RunState?) {
        lock.withLock {
            if lastBeat == .distantPast { return (true, nil) }
            return (held[shard] != nil, held[shard])
        }
    }

    /// Marks a newly claimed shard as held until the next beat says otherwise.
    func claimed(shard: Int64) { lock.withLock { held[shard] = .running } }

    private func loop() {
        var connection: PostgresConnection?
        var backoff = 1.0
        while lock.withLock({ running }) {
            do {
                if connection == nil || connection?.isHealthy == false {
                    connection = try PostgresConnection(url: settings.database.connectionURL(),
                                                        applicationName: "crnn-worker heartbeat")
                }
                let shards = try WorkerRegistry(connection: connection!)
                    .heartbeat(worker: worker, leaseSeconds: settings.leaseSeconds)
                lock.withLock {
                    held = Dictionary(shards.map { ($0.shard, $0.runState) }, uniquingKeysWith: { a, _ in a })
                    lastBeat = Date()
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
