// The coordinator's life: serve the parameter server, take queued runs (and resume running ones
// after a restart, from their latest checkpoint), flush metrics, validate and checkpoint every N
// updates, rescue expired leases, and complete a run once every shard is done and a final
// validation is stored.
import Engine
import Foundation
import Logging
import NIOPosix
import Store
import Telemetry
import TextImages
import Training
import Wire

public final class CoordinatorDaemon {
    let settings: CoordinatorSettings
    var logger: Logger
    private var connection: PostgresConnection?
    private var trainers: [Int64: RunTrainer] = [:]
    /// Served runs that were paused at the last look: they wait in memory but take no slot of
    /// `maximumRuns` (an experiment's trials wait paused at ASHA's rungs while others train).
    private var paused: Set<Int64> = []
    /// Runs whose advisory lock this coordinator holds on `connection` (RunOwnership); emptied
    /// when the connection is replaced, since the locks went with the old session.
    private var owned: Set<Int64> = []
    /// Runs another coordinator holds, already logged (logged again once it lets go).
    private var heldElsewhere: Set<Int64> = []
    private var fonts: FontSet?
    /// One parameter service per shard (index = shard).
    private let services: [ParameterService]
    /// What `--metrics` serves to Prometheus.
    public let metrics = CoordinatorMetrics()
    private var stopRequested = false
    private let stopLock = NSLock()

    public init(settings: CoordinatorSettings, logger: Logger = Logger(label: "crnn.coordinator")) {
        self.settings = settings
        self.logger = logger
        services = (0..<max(1, settings.parameterServerShards)).map { ParameterService(logger: logger, shard: $0) }
    }

    public func requestStop() { stopLock.withLock { stopRequested = true } }
    private var stopping: Bool { stopLock.withLock { stopRequested } }

    public func run() async throws {
        var servers: [PSServer] = []
        for service in services {
            // Shard s listens on the given port + s (0: any free port).
            let port = settings.listenPort == 0 ? 0 : settings.listenPort + service.shard
            var configuration = PSServerConfiguration(token: settings.token, host: settings.listenHost, port: port)
            configuration.maximumPayload = FrameFormat.defaultMaximumPayload
            servers.append(try await PSServer.bind(configuration: configuration, delegate: service, logger: logger))
        }
        let address = Self.advertisedAddresses(settings: settings, ports: servers.map(\.port))
        let listening = servers.map { "\(settings.listenHost):\($0.port)" }.joined(separator: ", ")
        logger.info(servers.count == 1 ? "parameter server listening on \(listening) (advertised as \(address))"
                    : "\(servers.count) parameter-server shards listening on \(listening) (advertised as \(address))")
        let serving = servers.map { server in Task { try await server.run() } }
        defer { for task in serving { task.cancel() } }
        let exporting = try MetricsEndpoint.start(metrics.registry, address: settings.metricsAddress, token: settings.token, logger: logger)
        defer { exporting?.cancel() }

        var lastMetrics = Date()
        var idleSince = Date()
        while !stopping {
            // libpq calls, validation and checkpoints block for up to seconds: on NIO's blocking
            // thread pool, so that Swift's cooperative threads keep serving pulls and pushes.
            let flushedBefore = lastMetrics
            lastMetrics = try await NIOThreadPool.singleton.runIfActive { self.tick(address: address, lastMetrics: flushedBefore) }
            if !trainers.isEmpty { idleSince = Date() }
            if let limit = settings.exitWhenIdleFor, Date().timeIntervalSince(idleSince) > limit {
                logger.info("no active run for \(Int(limit)) s: exiting")
                break
            }
            try await Task.sleep(nanoseconds: UInt64(settings.tick * 1e9))
        }
        for server in servers { await server.close() }
    }

    /// What the run's `ps_address` says: every shard's address, in shard order, comma-separated.
    /// `--advertise host:port` names shard 0; shard s is then host:(port + s) when the ports were
    /// given, else the advertised host with the port each shard bound.
    static func advertisedAddresses(settings: CoordinatorSettings, ports: [Int]) -> String {
        guard let advertise = settings.advertise else {
            return ports.map { defaultAdvertisedAddress(host: settings.listenHost, port: $0) }.joined(separator: ",")
        }
        guard ports.count > 1, let colon = advertise.lastIndex(of: ":"), let first = Int(advertise[advertise.index(after: colon)...]) else {
            return advertise
        }
        let host = advertise[..<colon]
        return ports.indices.map { s in "\(host):\(settings.listenPort == 0 ? (s == 0 ? first : ports[s]) : first + s)" }
            .joined(separator: ",")
    }


    /// One pass of the scheduler: take queued runs, tend the trained ones. Returns when metrics
    /// were last flushed.
    private func tick(address: String, lastMetrics: Date) -> Date {
        var flushedAt = lastMetrics
        do {
            try schedule(address: address)
            let flushMetrics = Date().timeIntervalSince(lastMetrics) >= settings.metricsInterval
            for trainer in Array(trainers.values) {
                try tendOrFail(trainer, flushMetrics: flushMetrics)
            }
            if flushMetrics { flushedAt = Date() }
        } catch let error as PostgresError where error.isConnectionLoss {
            logger.warning("database unavailable (\(error.message)); retrying")
            connection = nil
        } catch {
            logger.error("scheduler: \(error)")
        }
        return flushedAt
    }

    /// What workers are told to dial when `--advertise` is not given: the listen address, except
    /// that a wildcard listen (0.0.0.0, ::) is not dialable from other machines, so the host name.
    static func defaultAdvertisedAddress(host: String, port: Int) -> String {
        let wildcard = host == "0.0.0.0" || host == "::" || host == "[::]"
        return "\(wildcard ? ProcessInfo.processInfo.hostName : host):\(port)"
    }

    // MARK: scheduling

    private func database() throws -> PostgresConnection {
        if let connection, connection.isHealthy { return connection }
        let fresh = try PostgresConnection(url: settings.database.connectionURL(), applicationName: "crnn-coordinator")
        try Migrator(connection: fresh).migrate()
        connection = fresh
        owned.removeAll()
        return fresh
    }

    /// Rescues expired leases, resumes active runs it does not hold yet, decides experiments
    /// (releases, ASHA's stops), starts queued runs.
    private func schedule(address: String) throws {
        let db = try database()
        let rescued = try ShardQueue(connection: db).rescueExpired()
        for shard in rescued {
            logger.info("shard \(shard.shard) of run \(shard.run): lease expired, now \(shard.state.rawValue) (attempt \(shard.attempt))")
        }
        let store = RunStore(connection: db)
        let ownership = RunOwnership(connection: db)
        // After a new connection: take back the runs being served, or stop serving those that
        // another coordinator took while the database was away.
        for run in trainers.keys.sorted() where !owned.contains(run) {
            if try ownership.take(run: run) {
                owned.insert(run)
            } else {
                logger.warning("run \(run): another coordinator took it while the database was away; no longer serving it")
                drop(run)
            }
        }
        let active = try store.activeRuns()
        // Runs another coordinator trained and that have ended since are forgotten.
        heldElsewhere.formIntersection(active.map(\.run))
        for (run, _) in active where trainers[run] == nil {
            guard try take(run, ownership) else { continue }
            try store.publish(run: run, psAddress: address)
            adoptOrFail(run: run, store: store, db: db)
        }
        // Experiments first: a trial ASHA stops is not started, one it releases may be.
        for decision in try ExperimentStore(connection: db).supervise(actor: RunStore.defaultActor("crnn-coordinator")) {
            logger.info("\(decision)")
        }
        while trainers.count - paused.count < settings.maximumRuns, let run = try store.startNextQueued(
            psAddress: address, actor: RunStore.defaultActor("crnn-coordinator")) {
            // Another coordinator may have seen the run start and taken it first.
            guard try take(run, ownership) else { continue }
            adoptOrFail(run: run, store: store, db: db)
        }
    }

    /// Takes `run`'s lock for this coordinator; false (logged once) when another holds it.
    private func take(_ run: Int64, _ ownership: RunOwnership) throws -> Bool {
        guard try ownership.take(run: run) else {
            if heldElsewhere.insert(run).inserted {
                let holder = (try? ownership.holder(run: run)).flatMap { $0 }.map { " (database session \($0))" } ?? ""
                logger.info("run \(run) is trained by another coordinator\(holder); leaving it")
            }
            return false
        }
        heldElsewhere.remove(run)
        owned.insert(run)
        return true
    }

    /// Adopts a run, or fails it with the reason when it cannot be trained (an unsupported
    /// setting, a broken checkpoint): one clear row in the database instead of an error every tick.
    private func adoptOrFail(run: Int64, store: RunStore, db: PostgresConnection) {
        do {
            try adopt(run: run, store: store, db: db)
        } catch let error as PostgresError where error.isConnectionLoss {
            logger.warning("run \(run): database unavailable while starting it; retrying next tick")
        } catch {
            logger.error("run \(run): cannot train it: \(error)")
            _ = try? store.apply(.fail(reason: "\(error)"), run: run, actor: RunStore.defaultActor("crnn-coordinator"))
            release(run)
        }
    }

    /// Builds a run's trainer (resolving and storing the alphabet of a run queued before alphabets
    /// were resolved at submit), resumes from its latest checkpoint.
    private func adopt(run: Int64, store: RunStore, db: PostgresConnection) throws {
        let config = try store.config(run: run)
        let characters: [String]
        if let stored = try? store.charset(run: run) {
            characters = stored
        } else {
            guard case .preset(let preset) = config.charset else {
                throw RunStore.TrainingFailure.noAlphabet(run)
            }
            characters = try Charset.preset(preset.rawValue).characters
            try store.setCharset(run: run, characters: characters)
        }
        let recipe = try RunRecipe(run: run, config: config, characters: characters)
        if fonts == nil { fonts = try FontSet.load(fontDirectory: settings.fontDirectory) }
        var resume: Checkpoint?
        let checkpoints = CheckpointStore(connection: db)
        if let latest = try? checkpoints.find(run: run, .latest) {
            resume = try Checkpoint.decode(try checkpoints.fetch(latest), source: "run \(run) checkpoint \(latest.id)")
            let state = resume?.training.map { "its optimizer state and \($0.samplesApplied) samples" }
                ?? "fresh optimizer state (the checkpoint holds none)"
            logger.info("run \(run): resuming from its checkpoint at version \(latest.step) with \(state)")
        }
        let lastStep = try MetricsStore(connection: db).lastStep(run: run)
        let trainer = try RunTrainer(recipe: recipe, fonts: fonts!, threads: settings.threads, resumeFrom: resume,
                                     lastRecordedStep: lastStep, metrics: metrics.run(run, codec: recipe.config.gradients.codec.rawValue),
                                     databaseURL: try settings.database.connectionURL(), shards: services.count)
        if trainer.version > UInt64(max(0, resume?.step ?? 0)) {
            logger.info("run \(run): steps up to \(lastStep ?? 0) were recorded past its checkpoint (updates lost with the previous coordinator); continuing at version \(trainer.version)")
        }
        trainers[run] = trainer
        let codec = try recipe.makeCodec()
        for service in services { service.add(trainer, codec: codec) }
        let split = trainer.parameters.isSharded ? " in \(services.count) shards" : ""
        logger.info("run \(run): training \(config.model.rawValue) (\(trainer.parameters.parameterCount) parameters\(split), \(recipe.charset.classCount) classes), \(trainer.validation.count) validation samples")
        if recipe.isDataset {
            logger.info("run \(run): dataset \(config.data.sampleCount) lines: \(config.heldOutSamples) held out, \(config.samplesPerEpoch) trained per epoch")
            if !trainer.datasetReport.isEmpty {
                logger.warning("run \(run): \(trainer.datasetReport); workers skip those lines")
            }
            for line in trainer.validation.skipped.prefix(5) {
                logger.warning("run \(run): validation skips \(line)")
            }
        }
    }

    // MARK: one run

    /// Tends a run; a run whose parameters became unusable fails with the reason (one clear row,
    /// not a livelock of workers claiming and giving back its shards).
    private func tendOrFail(_ trainer: RunTrainer, flushMetrics: Bool) throws {
        do {
            try tend(trainer, flushMetrics: flushMetrics)
        } catch let error as UnusableParameters {
            logger.error("\(error); failing the run")
            let db = try database()
            try RunStore(connection: db).apply(.fail(reason: "\(error)"), run: trainer.run,
                                               actor: RunStore.defaultActor("crnn-coordinator"))
            drop(trainer.run)
        }
    }

    private func tend(_ trainer: RunTrainer, flushMetrics: Bool) throws {
        let db = try database()
        let run = trainer.run
        // Writes for a run go only over the connection that holds its lock (a connection made
        // since the last schedule has not taken it back yet: wait for the next tick).
        guard owned.contains(run) else { return }
        let state = try RunStore(connection: db).state(run: run)
        if state.isFinal {
            logger.info("run \(run) is \(state.rawValue): no longer serving it")
            drop(run)
            return
        }
        if state == .paused { paused.insert(run) } else { paused.remove(run) }
        if flushMetrics { try MetricsStore(connection: db).insert(trainer.drainMetrics()) }
        if trainer.validationDue { try validate(trainer, db: db) }
        guard state == .running else { return }
        let counts = try ShardQueue(connection: db).counts(run: run)
        // A synchronous barrier waits for the workers that hold a shard of the run (one each).
        trainer.parameters.setWorkersTraining(counts[.running] ?? 0)
        metrics.setQueue(run: run, counts: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }))
        if (counts[.available] ?? 0) == 0 && (counts[.running] ?? 0) == 0 {
            try finish(trainer, counts: counts, db: db)
        }
    }

    private func validate(_ trainer: RunTrainer, db: PostgresConnection) throws {
        let run = trainer.run
        let (version, result, file) = try trainer.validate()
        trainer.metrics?.validation(accuracy: result.lineAccuracy, characterErrorRate: result.characterErrorRate, loss: result.loss)
        let step = Int64(version)
        try MetricsStore(connection: db).insert([
            MetricSample(run: run, step: step, name: MetricName.validationLoss, value: result.loss),
            MetricSample(run: run, step: step, name: MetricName.validationAccuracy, value: result.lineAccuracy),
            MetricSample(run: run, step: step, name: "val_cer", value: result.characterErrorRate),
        ])
        let metrics = ["val_loss": result.loss, "val_accuracy": result.lineAccuracy, "val_cer": result.characterErrorRate]
        let checkpoints = CheckpointStore(connection: db)
        let config = trainer.recipe.config.checkpoints
        if trainer.isBest(result.lineAccuracy) && config.best > 0 {
            _ = try checkpoints.store(run: run, step: step, kind: .best, bytes: file, metrics: metrics)
        }
        _ = try checkpoints.store(run: run, step: step, kind: .latest, bytes: file, metrics: metrics)
        _ = try checkpoints.applyRetention(run: run, best: config.best, keepLatest: true)
        logger.info("\(String(format: "run %lld version %llu: validation accuracy %.4f, CER %.4f, loss %.4f", run, version, result.lineAccuracy, result.characterErrorRate, result.loss))")
        let nonFinite = try ShardQueue(connection: db).nonFiniteFailures(run: run)
        let warning = trainer.convergence.observe(blank: result.blankReadings, lines: result.samples, nonFiniteShards: nonFinite)
        if try RunStore(connection: db).setWarning(run: run, warning, actor: RunStore.defaultActor("crnn-coordinator")) {
            if let warning { logger.warning("run \(run): \(warning)") } else { logger.info("run \(run): warning cleared") }
        }
    }

    /// Every shard is done: a final validation (unless the last one saw this version), then
    /// the run is completed.
    private func finish(_ trainer: RunTrainer, counts: [ShardState: Int], db: PostgresConnection) throws {
        if trainer.lastValidatedVersion != trainer.version || trainer.bestAccuracy < 0 {
            try validate(trainer, db: db)
        }
        try MetricsStore(connection: db).insert(trainer.drainMetrics())
        let failed = counts[.failed] ?? 0
        let store = RunStore(connection: db), actor = RunStore.defaultActor("crnn-coordinator")
        if failed > 0 && (counts[.completed] ?? 0) == 0 {
            // Nothing was trained: the run failed, whatever validation says about its start.
            let last = try ShardQueue(connection: db).lastFailure(run: trainer.run) ?? "no reason recorded"
            let reason = "all \(failed) shards failed after their maximum attempts; the last: \(last)"
            try store.apply(.fail(reason: reason), run: trainer.run, actor: actor)
            logger.error("run \(trainer.run) failed: \(reason)")
        } else {
            let detail = failed > 0 ? "\(failed) shard(s) failed after their maximum attempts" : nil
            try store.apply(.complete, run: trainer.run, actor: actor, detail: detail)
            logger.info("run \(trainer.run) completed at version \(trainer.version)")
        }
        drop(trainer.run)
    }

    private func drop(_ run: Int64) {
        paused.remove(run)
        for service in services { service.remove(run: run) }
        trainers[run]?.parameters.stop()
        trainers[run] = nil
        release(run)
    }

    /// Lets another coordinator take `run` (no-op when this one does not hold it).
    private func release(_ run: Int64) {
        guard owned.remove(run) != nil, let connection, connection.isHealthy else { return }
        try? RunOwnership(connection: connection).release(run: run)
    }
}
