import Foundation

/// Runs: submit (the run and all its shards in one transaction), list, show, and every state
/// change (decided by `RunLifecycle`, recorded in `run_events`).
public struct RunStore {
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case noSuchRun(Int64)
        case refused(run: Int64, RunLifecycle.Refusal)
        case tooManyShards(Int)
        case badName(String)
        /// A data-file preset submitted without its alphabet (`TextImages.Charset.preset` reads it).
        case alphabetNotResolved(String)

        public var description: String {
            switch self {
            case .alphabetNotResolved(let preset):
                return "the alphabet of charset preset '\(preset)' must be resolved before submitting (read data/charsets/\(preset).txt)"
            case .badName(let problem): return "a run name \(problem)"
            case .noSuchRun(let id): return "there is no run \(id)"
            case .refused(let id, let refusal): return "run \(id): \(refusal)"
            case .tooManyShards(let count):
                return "the config makes \(count) shards, more than \(ShardPlan.maxShards): raise shard_size"
            }
        }
    }

    public struct Submitted: Equatable, Sendable {
        public let run: Int64
        public let shards: Int
    }

    let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    // MARK: submit

    /// Inserts the run (state `queued`) and all its shards in one transaction: a run is never
    /// visible without its shards.
    /// - Parameters:
    ///   - configYAML: the file as written, kept for humans; `config` is what it parsed to.
    ///   - name: defaults to the config's `name`, then "run".
    ///   - alphabet: the charset's characters (class i + 1 = alphabet[i]); needed for a preset read
    ///     from `data/charsets/`, taken from the config for a charset file or a built-in preset.
    public func submit(
        config: RunConfig, configYAML: String, overrides: [String] = [], name: String? = nil, alphabet: [String]? = nil,
        priority: Int = 0, actor: String = RunStore.defaultActor(), initialCheckpoint: [UInt8]? = nil
    ) throws -> Submitted {
        // Checked before planning: a typo'd shard_size must not allocate a billion shards first.
        guard config.totalShards <= ShardPlan.maxShards else { throw Failure.tooManyShards(config.totalShards) }
        let plan = ShardPlan(config: config)
        let runName = name ?? config.name ?? "run"
        if let problem = RunName.problem(runName) { throw Failure.badName(problem) }
        let json = try config.jsonString()
        let characters: [String]
        switch config.charset {
        case .file: characters = alphabet ?? config.fileCharacters ?? []
        case .preset(let preset):
            guard let known = alphabet ?? preset.builtInCharacters else { throw Failure.alphabetNotResolved(preset.rawValue) }
            characters = known
        }
        return try connection.transaction {
            let inserted = try connection.execute(Queries.insertRun, [
                runName, priority, configYAML, PostgresArray.texts(overrides), json, config.seed,
                config.charset.name, PostgresArray.texts(characters),
            ])
            guard let run = try inserted.int(0, 0).map(Int64.init) else {
                throw PostgresError(.protocolMismatch, "INSERT INTO runs returned no id")
            }
            let shards = plan.shards
            try connection.execute(Queries.insertShards, [
                run, config.maxAttempts,
                PostgresArray.integers(shards.map(\.epoch)), PostgresArray.integers(shards.map(\.index)),
                PostgresArray.integers(shards.map(\.seed)), PostgresArray.integers(shards.map(\.sliceStart)),
                PostgresArray.integers(shards.map(\.sliceCount)), PostgresArray.integers(shards.map(\.sampleCount)),
            ])
            if let initialCheckpoint {
                // Stored as the run's latest checkpoint at step 0: the coordinator starts from it
                // exactly as it resumes any run (metrics mark where it came from).
                _ = try CheckpointStore(connection: connection).insert(
                    run: run, step: 0, kind: .latest, bytes: initialCheckpoint, metricsJSON: #"{"init": 1}"#)
            }
            try connection.execute(Queries.insertRunEvent, [
                run, PostgresValue.null, RunState.queued.rawValue, actor,
                "submitted with \(shards.count) shards" + (initialCheckpoint == nil ? "" : ", starting from its init checkpoint"),
            ])
            return Submitted(run: run, shards: shards.count)
        }
    }

    // MARK: state changes

    /// Carries out `command` on `run`: locks the row, asks `RunLifecycle`, updates, records the
    /// event and (for start/resume) wakes idle claimers, all in one transaction.
    /// - Parameter psAddress: for `.start`, where the run's parameter server listens.
    /// - Returns: the run's state afterwards.
    /// - Throws: `Failure.noSuchRun`, `Failure.refused` with the reason.
    @discardableResult
    public func apply(
        _ command: RunLifecycle.Command, run: Int64, actor: String = RunStore.defaultActor(),
        detail: String? = nil, psAddress: String? = nil
    ) throws -> RunState {
        try connection.transaction {
            let current = try connection.execute(Queries.lockRunState, [run])
            guard !current.isEmpty, let text = current.string(0, 0), let state = RunState(rawValue: text) else {
                throw Failure.noSuchRun(run)
            }
            return try transition(command, run: run, from: state, actor: actor, detail: detail, psAddress: psAddress)
        }
    }

    /// The body of `apply`, for a caller already holding the run's row lock in a transaction.
    private func transition(
        _ command: RunLifecycle.Command, run: Int64, from state: RunState, actor: String,
        detail: String?, psAddress: String?
    ) throws -> RunState {
        switch RunLifecycle(state: state).apply(command) {
        case .failure(let refusal):
            throw Failure.refused(run: run, refusal)
        case .success(.none):
            return state
        case .success(.transition(let next, let stampsStart, let stampsFinish, let error, let wakes)):
            try connection.execute(Queries.updateRunState, [run, next.rawValue, stampsStart, stampsFinish, error, psAddress])
            try connection.execute(Queries.insertRunEvent, [run, state.rawValue, next.rawValue, actor, detail ?? error])
            if wakes { try ShardQueue.notifyAvailable(run: run, on: connection) }
            return next
        }
    }

    /// Takes the highest-priority queued run for a coordinator and starts it. SKIP LOCKED lets
    /// two coordinators starting together take different runs instead of queueing on one row.
    /// - Returns: the run id, or nil when nothing is queued.
    public func startNextQueued(psAddress: String, actor: String = RunStore.defaultActor()) throws -> Int64? {
        try connection.transaction {
            let next = try connection.execute(Queries.takeNextQueuedRun)
            guard let id = try next.isEmpty ? nil : next.int(0, 0).map(Int64.init) else { return nil }
            _ = try transition(.start, run: id, from: .queued, actor: actor, detail: nil, psAddress: psAddress)
            return id
        }
    }

    /// Stores the alphabet a coordinator resolved for a run queued before alphabets were resolved
    /// at submit (migration 007; once: a run keeps its alphabet).
    public func setCharset(run: Int64, characters: [String]) throws {
        try connection.execute(Queries.setRunCharset, [run, PostgresArray.texts(characters)])
    }

    /// Sets run `run`'s warning (nil clears it); a change is recorded in its history, the state
    /// unchanged. - Returns: whether it changed.
    @discardableResult
    public func setWarning(run: Int64, _ warning: String?, actor: String) throws -> Bool {
        try connection.transaction {
            let changed = try connection.execute(Queries.setRunWarning, [run, warning])
            guard !changed.isEmpty, let state = changed.string(0, 0) else { return false }
            try connection.execute(Queries.insertRunEvent, [run, state, state, actor,
                                                            warning.map { "warning: \($0)" } ?? "warning cleared"])
            return true
        }
    }

    /// `crnnctl@host` for commands a person typed.
    public static func defaultActor(_ program: String = "crnnctl") -> String {
        "\(program)@\(ProcessInfo.processInfo.hostName)"
    }
}
