import Foundation

/// Experiments in PostgreSQL: submit (the experiment, every trial's run and its shards in one
/// transaction), the supervisor pass a coordinator makes every tick (release waiting trials, ASHA's
/// rung decisions, finishing), cancel, and the reads `crnnctl experiments` prints.
public struct ExperimentStore {
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case noSuchExperiment(Int64)
        case alreadyFinished(Int64, String)

        public var description: String {
            switch self {
            case .noSuchExperiment(let id): return "there is no experiment \(id)"
            case let .alreadyFinished(id, state): return "experiment \(id) is \(state); it cannot cancel"
            }
        }
    }

    public struct Submitted: Equatable, Sendable {
        public let experiment: Int64
        public let runs: [Int64]
        public let shards: Int
    }

    let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    // MARK: submit

    /// Inserts the experiment and one run per trial (named `NAME-tN`, the trial's values kept as
    /// its `--set` overrides); the first `maxConcurrent` trials are released, the others wait.
    public func submit(
        plan: ExperimentPlan, configYAML: String, overrides: [String] = [], name: String, alphabet: [String]? = nil,
        priority: Int = 0, actor: String = RunStore.defaultActor(), initialCheckpoint: [UInt8]? = nil
    ) throws -> Submitted {
        if let problem = RunName.problem("\(name)-t\(plan.trials.count)") { throw RunStore.Failure.badName(problem) }
        let spec = plan.spec
        let specJSON = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
        return try connection.transaction {
            let inserted = try connection.execute(Queries.insertExperiment, [
                name, spec.method.rawValue, spec.metric, spec.goal.rawValue, spec.maxConcurrent, specJSON, configYAML,
            ])
            guard let experiment = try inserted.int(0, 0).map(Int64.init) else {
                throw PostgresError(.protocolMismatch, "INSERT INTO experiment_specs returned no id")
            }
            let runs = RunStore(connection: connection)
            var ids: [Int64] = [], shards = 0
            for planned in plan.trials {
                let trial = planned.trial
                let submitted = try runs.submit(
                    config: planned.config, configYAML: configYAML, overrides: overrides + trial.overrides,
                    name: "\(name)-t\(trial.number)", alphabet: alphabet, priority: priority, actor: actor,
                    initialCheckpoint: initialCheckpoint)
                try connection.execute(Queries.insertTrialRun, [
                    experiment, trial.number, submitted.run, try trial.parametersJSON(), trial.number <= spec.maxConcurrent,
                ])
                ids.append(submitted.run)
                shards += submitted.shards
            }
            return Submitted(experiment: experiment, runs: ids, shards: shards)
        }
    }

    // MARK: supervising

    /// One pass over every running experiment this coordinator can lock: ASHA's decisions for the
    /// trials that reached a rung, releases up to `maxConcurrent`, and finishing. Each experiment
    /// is decided in its own transaction, its row locked (another coordinator skips it).
    /// - Returns: what was decided, one line each, for the log.
    @discardableResult
    public func supervise(actor: String = RunStore.defaultActor("crnn-coordinator")) throws -> [String] {
        var decisions: [String] = []
        let ids = try connection.execute(Queries.selectRunningExperiments)
        for row in 0..<ids.count {
            guard let id = try ids.int(row, 0).map(Int64.init) else { continue }
            decisions += try connection.transaction {
                let locked = try connection.execute(Queries.lockRunningExperiment, [id])
                guard !locked.isEmpty, let specText = locked.string(0, 0) else { return [] }
                let spec = try JSONDecoder().decode(SearchSpec.self, from: Data(specText.utf8))
                return try supervise(experiment: id, spec: spec, actor: actor)
            }
        }
        return decisions
    }

    struct TrialProgress {
        let trial: Int
        let run: Int64
        let state: String
        let bestMetric: Double?
        let samplesTrained: Int
        let samplesFull: Int

        var isActive: Bool { ["queued", "running", "paused"].contains(state) }
        var isFinal: Bool { ["completed", "failed", "cancelled", "stopped"].contains(state) }
    }

    private func progress(_ experiment: Int64) throws -> [TrialProgress] {
        let rows = try connection.execute(Queries.selectTrialProgress, [experiment])
        return try (0..<rows.count).map { i in
            TrialProgress(trial: try rows.int(i, 0) ?? 0, run: Int64(try rows.int(i, 1) ?? 0), state: rows.string(i, 2) ?? "",
                          bestMetric: try rows.double(i, 3), samplesTrained: try rows.int(i, 4) ?? 0,
                          samplesFull: try rows.int(i, 5) ?? 0)
        }
    }

    private func supervise(experiment: Int64, spec: SearchSpec, actor: String) throws -> [String] {
        var decisions: [String] = []
        var trials = try progress(experiment)
        if let rungs = spec.rungs, spec.method == .asha {
            decisions += try judgeRungs(experiment: experiment, spec: spec, asha: ASHA(rungs: rungs, goal: spec.goal),
                                        trials: trials, actor: actor)
            trials = try progress(experiment)
        }
        var active = trials.filter(\.isActive).filter { $0.state != "pending" }.count
        for waiting in trials where waiting.state == "pending" && active < spec.maxConcurrent {
            try connection.execute(Queries.releaseTrial, [experiment, waiting.trial])
            active += 1
            decisions.append("experiment \(experiment): trial \(waiting.trial) (run \(waiting.run)) released")
        }
        if !trials.isEmpty && trials.allSatisfy(\.isFinal) {
            try connection.execute(Queries.finishExperiment, [experiment, "completed"])
            decisions.append("experiment \(experiment): every trial has finished")
        }
        return decisions
    }

    /// ASHA: every active trial that trained past a rung it was not judged at yet is judged there,
    /// lowest rung first, against what the rung recorded before it; a trial below the bar stops.
    private func judgeRungs(experiment: Int64, spec: SearchSpec, asha: ASHA, trials: [TrialProgress],
                            actor: String) throws -> [String] {
        let recorded = try connection.execute(Queries.selectRungResults, [experiment])
        var results: [Int: [Int: Double]] = [:]   // rung → trial → value (NaN: none)
        for i in 0..<recorded.count {
            guard let rung = try recorded.int(i, 0), let trial = try recorded.int(i, 1) else { continue }
            results[rung, default: [:]][trial] = try recorded.double(i, 2) ?? .nan
        }
        var decisions: [String] = []
        let budgets = asha.rungs.budgets
        for trial in trials where trial.isActive && trial.state != "pending" && trial.samplesFull > 0 {
            let fraction = Double(trial.samplesTrained) / Double(trial.samplesFull)
            for rung in asha.rungsReached(fraction: fraction) where results[rung]?[trial.trial] == nil {
                // Wait for the first validation, unless there will be none (a finished run).
                guard let value = trial.bestMetric else { break }
                let earlier = Array((results[rung] ?? [:]).values)
                let decision = asha.decide(value: value, earlier: earlier)
                try connection.execute(Queries.insertRungResult, [
                    experiment, trial.trial, rung, trial.samplesTrained, value, decision.cutoff, decision.promoted,
                ])
                results[rung, default: [:]][trial.trial] = value
                let at = "rung \(rung) (\(Self.percent(budgets[rung])) of the budget, \(trial.samplesTrained) samples)"
                if decision.promoted {
                    let atLeast = spec.goal == .maximize ? "≥" : "≤"
                    decisions.append("experiment \(experiment): trial \(trial.trial) promoted at \(at): \(spec.metric) "
                        + "\(Self.shown(value)) \(atLeast) cutoff \(Self.shown(decision.cutoff)) of \(decision.results) results")
                    continue
                }
                let reason = "stopped by ASHA at \(at): \(spec.metric) \(Self.shown(value)) is not in the top 1/"
                    + "\(Self.shown(asha.rungs.reductionFactor)) of \(decision.results) results (cutoff \(Self.shown(decision.cutoff)))"
                try connection.execute(Queries.markTrialStopped, [experiment, trial.trial, reason])
                try RunStore(connection: connection).apply(.cancel, run: trial.run, actor: actor, detail: reason)
                decisions.append("experiment \(experiment): trial \(trial.trial) (run \(trial.run)) \(reason)")
                break
            }
        }
        return decisions
    }

    static func shown(_ value: Double) -> String { String(format: "%.4g", value) }
    static func percent(_ fraction: Double) -> String { String(format: "%.3g %%", 100 * fraction) }

    // MARK: cancel

    /// Cancels the experiment and every trial run not yet finished, in one transaction.
    /// - Returns: the runs cancelled.
    @discardableResult
    public func cancel(_ experiment: Int64, actor: String = RunStore.defaultActor()) throws -> [Int64] {
        try connection.transaction {
            let state = try connection.execute(Queries.lockExperiment, [experiment])
            guard !state.isEmpty, let current = state.string(0, 0) else { throw Failure.noSuchExperiment(experiment) }
            guard current == "running" else { throw Failure.alreadyFinished(experiment, current) }
            let runs = try connection.execute(Queries.selectExperimentRuns, [experiment])
            let store = RunStore(connection: connection)
            var cancelled: [Int64] = []
            for i in 0..<runs.count {
                guard let run = try runs.int(i, 0).map(Int64.init) else { continue }
                let before = try connection.execute(Queries.lockRunState, [run]).string(0, 0)
                guard let before, let state = RunState(rawValue: before), !state.isFinal else { continue }
                try store.apply(.cancel, run: run, actor: actor, detail: "experiment \(experiment) cancelled")
                cancelled.append(run)
            }
            try connection.execute(Queries.finishExperiment, [experiment, "cancelled"])
            return cancelled
        }
    }
}
