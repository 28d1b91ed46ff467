// The worker's life: register, heartbeat, claim a shard, train it minibatch by minibatch against
// the run's parameter server, complete it (with its metrics, in one transaction), claim the next.
// SIGTERM finishes the current step and gives the shard back.
import CommandLineSupport
import Engine
import Foundation
import Logging
import NIOPosix
import Store
import Telemetry
import TextImages
import Training
import Wire

public final class WorkerDaemon: @unchecked Sendable {
    let settings: WorkerSettings
    let stop: StopSignal
    var logger: Logger
    private var connection: PostgresConnection?
    private var sessions: [Int64: RunSession] = [:]
    /// Dataset runs' folders, read once per run.
    private var datasets: [Int64: DatasetSamples] = [:]
    private var fonts: FontSet?
    /// What `--metrics` serves to Prometheus.
    public let metrics = WorkerMetrics()

    public init(settings: WorkerSettings, stop: StopSignal, logger: Logger = Logger(label: "crnn.worker")) {
        self.settings = settings
        self.stop = stop
        self.logger = logger
    }

    /// Runs until stopped (or idle for `exitWhenIdleFor`).
    /// - Throws: `WorkerError.authenticationFailed` when a parameter server refuses the token
    ///   (after giving the shard back): claiming again would only be refused again.
    public func run() async throws {
        let registration = WorkerRegistry.Registration.current(
            name: settings.name, threads: settings.threads, version: "0.1.0")
        let worker = try await database { try WorkerRegistry(connection: $0).register(registration) }
        logger[metadataKey: "worker"] = "\(registration.name)#\(worker)"
        logger.info("registered as worker \(worker) (\(registration.name), \(settings.threads) threads)")
        let exporting = try MetricsEndpoint.start(metrics.registry, address: settings.metricsAddress, token: settings.token, logger: logger)
        defer { exporting?.cancel() }
        let heartbeat = Heartbeat(worker: worker, settings: settings, logger: logger)
        heartbeat.start()
        defer { heartbeat.stop() }

        var idleSince = Date()
        var fatal: WorkerError?
        while !stop.isSet && fatal == nil {
            let shard = try await database {
                try ShardQueue(connection: $0).claim(worker: worker, leaseSeconds: self.settings.leaseSeconds,
                                                     waitingUpTo: 2, pollInterval: 1)
            }
            guard let shard else {
                if let limit = settings.exitWhenIdleFor, Date().timeIntervalSince(idleSince) > limit {
                    logger.info("no work for \(Int(limit)) s: exiting")
                    break
                }
                continue
            }
            metrics.claimed()
            heartbeat.claimed(shard: shard.id)
            defer { heartbeat.released(shard: shard.id) }
            do {
                try await train(shard, worker: worker, heartbeat: heartbeat)
            } catch let error as DatasetAccessError {
                // Not a passing hiccup (the folder is missing here, or changed): spend an attempt,
                // so a folder no worker can read ends in failed shards with this reason, not a loop.
                logger.error("shard \(shard.id): \(error); failing this attempt")
                datasets[shard.run] = nil
                _ = try? await database { try ShardQueue(connection: $0).fail(shard: shard.id, worker: worker, reason: "\(error)") }
                try await Task.sleep(nanoseconds: 1_000_000_000)
            } catch let error as WorkerError where error.spendsAnAttempt {
                // The run's parameters give NaN/∞ (it diverged): retrying on the same parameters
                // fails the same way, so each try counts and the shard ends failed with the reason.
                logger.error("shard \(shard.id): \(error); failing this attempt")
                await sessions.removeValue(forKey: shard.run)?.close()
                _ = try? await database { try ShardQueue(connection: $0).fail(shard: shard.id, worker: worker, reason: "\(error)") }
                try await Task.sleep(nanoseconds: 1_000_000_000)
            } catch PSClientError.authenticationFailed(let reason) {
                fatal = WorkerError.authenticationFailed(run: shard.run, reason: reason)
                logger.critical("shard \(shard.id): \(fatal!); giving it back")
                _ = try? await database { try ShardQueue(connection: $0).giveBack(shard: shard.id, worker: worker) }
            } catch {
                logger.error("shard \(shard.id) of run \(shard.run): \(error); giving it back")
                await sessions.removeValue(forKey: shard.run)?.close()
                _ = try? await database { try ShardQueue(connection: $0).giveBack(shard: shard.id, worker: worker) }
                try await Task.sleep(nanoseconds: 1_000_000_000)
            }
            idleSince = Date()
        }
        for session in sessions.values { await session.close() }
        if let fatal { throw fatal }
        logger.info("stopped")
    }

    // MARK: one shard

    private func train(_ shard: ClaimedShard, worker: Int64, heartbeat: Heartbeat) async throws {
        let session = try await session(for: shard)
        try await session.pull()
        let recipe = session.recipe
        let batch = recipe.config.batchSize
        let data: DatasetSamples? = try recipe.isDataset ? dataset(for: recipe) : nil
        let batches = try ShardBatches(shard: shard, recipe: recipe, synthetic: session.source, dataset: data)
        var progress = ShardProgress(shard: shard, worker: worker)
        while progress.done < shard.sampleCount {
            if stop.isSet {
                _ = try await database { try ShardQueue(connection: $0).giveBack(shard: shard.id, worker: worker) }
                logger.info("stopping: gave shard \(shard.id) back after \(progress.done)/\(shard.sampleCount) samples")
                return
            }
            let hold = heartbeat.stillHolds(shard: shard.id)
            if !hold.held || (hold.runState != nil && hold.runState != .running) {
                logger.info("shard \(shard.id): no longer ours or run not running (\(hold.runState?.rawValue ?? "lease lost")); dropping it")
                // Give it back in any case: heartbeats renew every lease this worker holds, so a
                // shard kept by mistake would never return to the queue. Refused when not ours.
                _ = try? await database { try ShardQueue(connection: $0).giveBack(shard: shard.id, worker: worker) }
                return
            }
            let start = progress.done, n = min(batch, shard.sampleCount - start)
            let next = try await NIOThreadPool.singleton.runIfActive { batches.batch(start: start, count: n) }
            progress.skipped += next.skipped
            if !next.labels.isEmpty {
                let (loss, ack) = try await session.step(images: next.images, labels: next.labels)
                progress.record(loss: loss, version: ack.newVersion)
                metrics.trained(run: shard.run, samples: next.labels.count)
                metrics.stepped(seconds: session.lastStepSeconds)
                metrics.pushed(seconds: session.lastPushSeconds)
            }
            progress.done += n
            if progress.isDueForReport(every: settings.reportInterval) { logger.info("\(progress.line)") }
        }
        if !progress.skipped.isEmpty {
            logger.warning("shard \(shard.id) of run \(shard.run): skipped \(progress.skipped.count) dataset line(s), e.g. \(progress.skipped.prefix(3).map(\.description).joined(separator: "; "))")
        }
        let figures = progress.metrics(step: Int64(session.version))
        if let rate = figures.first(where: { $0.name == "worker_samples_per_s" }) {
            metrics.throughput(run: shard.run, samplesPerSecond: rate.value)
        }
        let outcome = try await database {
            try ShardQueue(connection: $0).complete(shard: shard.id, worker: worker, metrics: figures)
        }
        if case .refused(let why) = outcome {
            logger.warning("shard \(shard.id): completion refused (\(why)); another worker will redo it")
        }
    }


    /// The session of `shard`'s run, connecting to its parameter server on first use, and again
    /// when the connection closed while this worker was idle (a restarted coordinator).
    private func session(for shard: ClaimedShard) async throws -> RunSession {
        if let existing = sessions[shard.run] {
            if existing.isConnected { return existing }
            logger.info("run \(shard.run): the connection to the parameter server closed; reconnecting")
            metrics.reconnected()
            sessions[shard.run] = nil
            await existing.close()
        }
        guard let text = shard.psAddress, let addresses = ServerAddress.list(text) else {
            throw WorkerError.noServer(run: shard.run)
        }
        let (config, characters) = try await database { connection -> (RunConfig, [String]) in
            let store = RunStore(connection: connection)
            return (try store.config(run: shard.run), try store.charset(run: shard.run))
        }
        let recipe = try RunRecipe(run: shard.run, config: config, characters: characters)
        if fonts == nil { fonts = try FontSet.load(fontDirectory: settings.fontDirectory) }
        var links: [PSClient] = []
        var joined: [ServerAddress] = []
        do {
            for index in addresses.indices {
                let (client, reached) = try await connectWithBackoff(addresses[index], run: shard.run, shard: index,
                                                                     shards: addresses.count)
                links.append(client)
                joined.append(reached)
            }
        } catch {
            for link in links { await link.close() }
            throw error
        }
        let session: RunSession
        do {
            session = try RunSession(recipe: recipe, fonts: fonts!, links: links, threads: settings.threads)
        } catch {
            for link in links { await link.bye() }
            throw error
        }
        sessions[shard.run] = session
        let servers = joined.map { "\($0.host):\($0.port)" }.joined(separator: ", ")
        let what = links.count == 1 ? "the parameter server at \(servers)" : "\(links.count) parameter-server shards at \(servers)"
        logger.info("run \(shard.run): joined \(what) (\(config.model.rawValue), \(recipe.charset.classCount) classes, codec \(session.codec.name))")
        return session
    }

    /// The dataset folder of a dataset run, read on first use.
    /// - Throws: `DatasetAccessError` when this machine cannot read it or it changed since submit.
    private func dataset(for recipe: RunRecipe) throws -> DatasetSamples {
        if let existing = datasets[recipe.run] { return existing }
        let data = try DatasetSamples(recipe: recipe, machine: "this worker", databaseURL: try settings.database.connectionURL())
        datasets[recipe.run] = data
        logger.info("run \(recipe.run): dataset \(data.dataset.directory): \(data.split.training.count) training lines, \(data.split.validation.count) held out")
        if !data.dataset.unknownReport.isEmpty { logger.warning("run \(recipe.run): \(data.dataset.unknownReport); skipping those lines") }
        return data
    }

    /// Connects to shard `shard` of the run's parameter servers, re-reading its address between
    /// attempts (a restarted coordinator publishes a new one).
    /// - Returns: the client and the address it reached (the run's address may have moved on
    ///   while retrying: a restarted coordinator listens elsewhere).
    private func connectWithBackoff(_ first: ServerAddress, run: Int64, shard: Int, shards: Int) async throws -> (PSClient, ServerAddress) {
        var address = first
        var delay: UInt64 = 500_000_000
        var attempt = 0
        while true {
            do {
                let client = try await PSClient.connect(
                    host: address.host, port: address.port, token: settings.token,
                    clientName: logger[metadataKey: "worker"].map { "\($0)" } ?? "worker", runID: UInt64(run),
                    shard: UInt32(shard), shards: UInt32(shards))
                return (client, address)
            } catch let error as PSClientError {
                throw error  // refused (wrong token, unknown run): retrying cannot help
            } catch {
                attempt += 1
                if attempt >= 6 || stop.isSet { throw error }
                logger.warning("cannot reach the parameter server at \(address.host):\(address.port) (\(error)); retrying")
                try await Task.sleep(nanoseconds: delay)
                delay = min(delay * 2, 8_000_000_000)
                if let text = try? await database({ try RunStore(connection: $0).psAddress(run: run) }),
                   let fresh = ServerAddress.list(text), fresh.count == shards {
                    address = fresh[shard]
                }
            }
        }
    }

    /// `withDatabase` on NIO's blocking pool: libpq and the reconnect backoff block their thread,
    /// which must not be one of Swift's few cooperative ones.
    func database<T>(_ body: @escaping (PostgresConnection) throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive { try self.withDatabase(body) }
    }

    /// Runs `body` on the worker's connection, reconnecting with backoff when the database went
    /// away (restart, network) instead of dying.
    func withDatabase<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        var delay = 0.5
        while true {
            do {
                if connection == nil || connection?.isHealthy == false {
                    connection = try PostgresConnection(url: settings.database.connectionURL(), applicationName: "crnn-worker")
                }
                return try body(connection!)
            } catch let error as PostgresError where error.isConnectionLoss && !stop.isSet {
                logger.warning("database unavailable (\(error.message)); retrying in \(delay) s")
                connection = nil
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 10)
            }
        }
    }
}
