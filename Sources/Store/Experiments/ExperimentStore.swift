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
            let judged = try judgeRungs(experiment: experiment, spec: spec, asha: ASHA(rungs: rungs, goal: spec.goal),
                                        trials: trials, actor: actor)
            // Paused, resumed or stopped trials change what is active: read them again then only.
            if !judged.isEmpty { trials = try progress(experiment) }
            decisions += judged
        }
        // Waiting (paused) trials take no workers, so they leave their slot to the next trial.
        var active = trials.filter { ["queued", "running"].contains($0.state) }.count
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

    /// ASHA: a running trial that trained past a rung it has no result at records its best metric
    /// there and waits (its run paused); then each rung promotes (resumes) the waiting trials in
    /// its top share and, once closed, stops the rest (cancels their runs, the reason recorded).
    private func judgeRungs(experiment: Int64, spec: SearchSpec, asha: ASHA, trials: [TrialProgress],
                            actor: String) throws -> [String] {
        let runs = RunStore(connection: connection)
        var rungs = try recordedRungs(experiment)
        var decisions: [String] = []
        let budgets = asha.rungs.budgets
        // Arrivals.
        for trial in trials where trial.state == "running" && trial.samplesFull > 0 {
            let fraction = Double(trial.samplesTrained) / Double(trial.samplesFull)
            // Without a validation yet it trains on until it has one.
            guard let value = trial.bestMetric else { continue }
            let unjudged = asha.rungsReached(fraction: fraction).filter { rungs[$0]?.results[trial.trial] == nil }
            if trial.samplesTrained >= trial.samplesFull {
                // Every shard trained before a rung saw it (its run completes at its final
                // validation): stopping it saves nothing. Its result ranks the others at every
                // rung it passed, as one that went on.
                for rung in unjudged {
                    try connection.execute(Queries.insertRungResult, [experiment, trial.trial, rung, trial.samplesTrained, value])
                    try connection.execute(Queries.decideRungResult, [experiment, trial.trial, rung, "promoted", Double?.none])
                    rungs[rung, default: ASHA.Rung(results: [:], open: true)].results[trial.trial] = value
                    rungs[rung]?.promoted.insert(trial.trial)
                }
                if let last = unjudged.last {
                    decisions.append("experiment \(experiment): trial \(trial.trial) (run \(trial.run)) trained its whole budget "
                        + "before ASHA judged it at rung \(last) (\(spec.metric) \(Self.shown(value))): it completes")
                }
                continue
            }
            guard let rung = unjudged.first else { continue }
            try connection.execute(Queries.insertRungResult, [experiment, trial.trial, rung, trial.samplesTrained, value])
            try runs.apply(.pause, run: trial.run, actor: actor, detail: "ASHA: waits at rung \(rung) for its ranking")
            rungs[rung, default: ASHA.Rung(results: [:], open: true)].results[trial.trial] = value
            decisions.append("experiment \(experiment): trial \(trial.trial) (run \(trial.run)) reached rung \(rung) "
                + "(\(Self.percent(budgets[rung])) of the budget, \(trial.samplesTrained) samples) with \(spec.metric) "
                + "\(Self.shown(value)): waits for the rung's ranking")
        }
        // Decisions, lowest rung first: a trial stopped at one rung no longer keeps the next open.
        var finished = Set(trials.filter(\.isFinal).map(\.trial))
        for index in rungs.keys.sorted() {
            guard var rung = rungs[index] else { continue }
            rung.open = trials.contains { !finished.contains($0.trial) && rung.results[$0.trial] == nil }
            let decision = asha.decide(rung)
            let cutoff = decision.cutoff.map(Self.shown) ?? "-"
            let share = "the top \(decision.quota) of \(rung.results.count) results (cutoff \(cutoff))"
            for number in decision.promote {
                guard let trial = trials.first(where: { $0.trial == number }) else { continue }
                try connection.execute(Queries.decideRungResult, [experiment, number, index, "promoted", decision.cutoff])
                try runs.apply(.resume, run: trial.run, actor: actor, detail: "ASHA: promoted at rung \(index)")
                decisions.append("experiment \(experiment): trial \(number) promoted at rung \(index): \(spec.metric) "
                    + "\(Self.shown(rung.results[number] ?? .nan)) is in \(share)")
            }
            for number in decision.stop {
                guard let trial = trials.first(where: { $0.trial == number }) else { continue }
                let reason = "stopped by ASHA at rung \(index) (\(Self.percent(budgets[index])) of the budget): \(spec.metric) "
                    + "\(Self.shown(rung.results[number] ?? .nan)) is not in \(share)"
                try connection.execute(Queries.decideRungResult, [experiment, number, index, "stopped", decision.cutoff])
                try connection.execute(Queries.markTrialStopped, [experiment, number, reason])
                try runs.apply(.cancel, run: trial.run, actor: actor, detail: reason)
                finished.insert(number)
                decisions.append("experiment \(experiment): trial \(number) (run \(trial.run)) \(reason)")
            }
        }
        return decisions
    }

    /// The results recorded at each rung, with the decisions taken (open is set by the caller).
    private func recordedRungs(_ experiment: Int64) throws -> [Int: ASHA.Rung] {
        let recorded = try connection.execute(Queries.selectRungResults, [experiment])
        var rungs: [Int: ASHA.Rung] = [:]
        for i in 0..<recorded.count {
            guard let rung = try recorded.int(i, 0), let trial = try recorded.int(i, 1) else { continue }
            rungs[rung, default: ASHA.Rung(results: [:], open: true)].results[trial] = try recorded.double(i, 2) ?? .nan
            switch recorded.string(i, 3) {
            case "promoted": rungs[rung]?.promoted.insert(trial)
            case "stopped": rungs[rung]?.stopped.insert(trial)
            default: break
            }
        }
        return rungs
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
