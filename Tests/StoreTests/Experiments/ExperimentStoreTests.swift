import Foundation
import Testing
import TestSupport
@testable import Store

/// Experiments in a real PostgreSQL: trials wait for a max_concurrent slot, ASHA's decisions
/// stop runs (the reason recorded) and release the next trial, cancelling cancels every trial.
@Suite struct ExperimentStoreTests {
    static let yaml = """
        model: tiny
        charset: digits
        data: {synthetic: {samples_per_epoch: 80}}
        shard_size: 10
        batch_size: 10
        seed: 3
        search:
          method: asha
          trials: 4
          max_concurrent: 2
          asha: {min_budget: 0.25, reduction_factor: 2}
          parameters:
            optimizer.lr: {log_uniform: [0.0001, 0.1]}
        """

    func submitted(_ connection: PostgresConnection) throws -> ExperimentStore.Submitted {
        let plan = try #require(try RunConfigParser().parseExperiment(yaml: Self.yaml, file: "e.yaml", baseDirectory: "/tmp"))
        return try ExperimentStore(connection: connection).submit(plan: plan, configYAML: Self.yaml, name: "lr", actor: "test")
    }

    /// Trial `run` trained `shards` of its 8 shards, and validated at `accuracy`.
    func progress(_ connection: PostgresConnection, run: Int64, shards: Int, accuracy: Double?) throws {
        try connection.execute("UPDATE shards SET state = 'completed' WHERE run_id = $1 AND index < $2", [run, shards])
        if let accuracy {
            try connection.execute("INSERT INTO metrics (run_id, step, name, value) VALUES ($1, $2, 'val_accuracy', $3)",
                                   [run, shards, accuracy])
        }
    }

    func trialStates(_ connection: PostgresConnection, _ experiment: Int64) throws -> [String] {
        try ExperimentStore(connection: connection).trials(experiment).map(\.state)
    }

    @Test func trialsBeyondMaxConcurrentWaitAndNoCoordinatorTakesThem() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let experiment = try submitted(connection)
        #expect(experiment.runs.count == 4 && experiment.shards == 32)
        let names = try connection.execute("SELECT name FROM runs ORDER BY id")
        #expect((0..<names.count).map { names.string($0, 0) } == ["lr-t1", "lr-t2", "lr-t3", "lr-t4"])
        #expect(try trialStates(connection, experiment.experiment) == ["queued", "queued", "pending", "pending"])
        let runs = RunStore(connection: connection)
        let taken = try (0..<3).compactMap { _ in try runs.startNextQueued(psAddress: "127.0.0.1:1", actor: "test") }
        #expect(taken == Array(experiment.runs.prefix(2)), "only the released trials start")
        let overrides = try connection.execute("SELECT config_overrides::text, hyperparameters->'optimizer'->>'lr' FROM runs WHERE id = $1",
                                               [experiment.runs[0]])
        let lr = try #require(overrides.string(0, 1))
        #expect(overrides.string(0, 0) == "{optimizer.lr=\(lr)}", "the trial's value is its --set override")
    }

    /// Trials share the workers (the least-served first), so ASHA compares them at equal budgets;
    /// a plain run submitted before the experiment is still served first, one after it after.
    @Test func runningTrialsShareTheWorkersInThePlaceOfTheFirstTrial() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let before = try StoreFixtures.runningRun(connection, shards: 2)
        let experiment = try submitted(connection)
        let after = try StoreFixtures.runningRun(connection, shards: 2)
        let runStore = RunStore(connection: connection)
        for _ in 0..<2 { _ = try runStore.startNextQueued(psAddress: "127.0.0.1:1", actor: "test") }
        let queue = ShardQueue(connection: connection)
        let worker = try StoreFixtures.worker(connection)
        let order = try (0..<8).map { _ in try #require(try queue.claim(worker: worker, leaseSeconds: 60)).run }
        let (t1, t2) = (experiment.runs[0], experiment.runs[1])
        #expect(order == [before, before, t1, t2, t1, t2, t1, t2], "\(order)")
        #expect(try queue.claim(worker: worker, leaseSeconds: 60)?.run == t1)
        _ = after
    }

    @Test func ashaPausesTrialsAtARungPromotesTheTopHalfAndStopsTheRestOnceClosed() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let experiment = try submitted(connection)
        let id = experiment.experiment, runs = experiment.runs
        let store = ExperimentStore(connection: connection), runStore = RunStore(connection: connection)
        func start() throws { _ = try runStore.startNextQueued(psAddress: "127.0.0.1:1", actor: "test") }
        try start(); try start()

        // Below the first rung (2 of 8 shards) nothing is decided.
        try progress(connection, run: runs[0], shards: 1, accuracy: 0.5)
        #expect(try store.supervise(actor: "test").isEmpty)
        // Trial 1 reaches rung 0: it waits there (paused), and its slot goes to trial 3.
        try progress(connection, run: runs[0], shards: 2, accuracy: 0.8)
        let first = try store.supervise(actor: "test")
        #expect(first.count == 2 && first[0].contains("trial 1 (run \(runs[0])) reached rung 0") && first[1].contains("trial 3"),
                "\(first)")
        #expect(try runStore.state(run: runs[0]) == .paused)
        #expect(try trialStates(connection, id) == ["waiting", "running", "queued", "pending"])
        // Trial 2 reaches it without a validation yet: it trains on until it has one.
        try progress(connection, run: runs[1], shards: 3, accuracy: nil)
        #expect(try store.supervise(actor: "test").isEmpty)
        // With two results the better half goes on at once: trial 1 resumes, trial 2 waits.
        try progress(connection, run: runs[1], shards: 3, accuracy: 0.1)
        let second = try store.supervise(actor: "test")
        #expect(second.contains { $0.contains("trial 1 promoted at rung 0: val_accuracy 0.8 is in the top 1 of 2 results") }, "\(second)")
        #expect(try runStore.state(run: runs[0]) == .running && runStore.state(run: runs[1]) == .paused)
        #expect(try trialStates(connection, id) == ["running", "waiting", "queued", "pending"], "trial 1 has its slot back")
        try start()
        // Trial 3 arrives and waits (one of three: trial 1 is the top third), trial 4 takes its slot;
        // when trial 4 has arrived the rung is closed: the top 2 of 4 go on, the others stop.
        try progress(connection, run: runs[2], shards: 2, accuracy: 0.5)
        let third = try store.supervise(actor: "test")
        #expect(third.count == 2 && third[1].contains("trial 4 (run \(runs[3])) released"), "\(third)")
        try start()
        try progress(connection, run: runs[3], shards: 2, accuracy: 0.05)
        let closing = try store.supervise(actor: "test")
        #expect(closing.contains { $0.contains("trial 3 promoted at rung 0") }, "\(closing)")
        #expect(closing.contains { $0.contains("trial 2 (run \(runs[1])) stopped by ASHA at rung 0 (25 % of the budget): "
                                            + "val_accuracy 0.1 is not in the top 2 of 4 results (cutoff 0.5)") }, "\(closing)")
        #expect(closing.contains { $0.contains("trial 4 (run \(runs[3])) stopped by ASHA") })
        #expect(try runs.map { try runStore.state(run: $0) } == [.running, .cancelled, .running, .cancelled])
        let event = try runStore.detail(run: runs[1]).events.last
        #expect(event?.to == .cancelled && event?.from == .paused && event?.detail?.contains("stopped by ASHA") == true)
        let trials = try store.trials(id)
        #expect(trials.map(\.state) == ["running", "stopped", "running", "stopped"])
        #expect(trials[1].stoppedReason?.contains("cutoff 0.5") == true && trials[0].rungPassed == 0 && trials[1].rungPassed == nil)
        #expect(trials[0].budgetUsed == 20 && trials[1].budgetUsed == 30 && trials[0].budgetFull == 80 && trials[0].bestMetric == 0.8)

        let summary = try #require(try store.summaries(id).first)
        #expect(summary.trials == 4 && summary.stopped == 2 && summary.pending == 0 && summary.running == 2)
        #expect(summary.samplesUsed == 90 && summary.samplesAllTrialsFull == 320 && summary.bestTrial == 1 && summary.bestMetric == 0.8)
        #expect(try store.bestRun(id) == runs[0])

        // Cancelling the experiment cancels every unfinished trial.
        let cancelled = try store.cancel(id, actor: "test")
        #expect(cancelled == [runs[0], runs[2]])
        #expect(try runs.map { try runStore.state(run: $0) }.allSatisfy { $0 == .cancelled })
        #expect(try store.summaries(id).first?.state == "cancelled")
        #expect(throws: ExperimentStore.Failure.alreadyFinished(id, "cancelled")) { try store.cancel(id) }
        #expect(throws: ExperimentStore.Failure.noSuchExperiment(99)) { try store.cancel(99) }
        #expect(try store.supervise(actor: "test").isEmpty, "a cancelled experiment is not supervised")
    }

    /// A trial whose every shard trained before a supervision saw it at a rung (a short trial, a
    /// slow tick) is not paused and stopped with its budget spent: it completes, and its result
    /// ranks the others at the rungs it passed.
    @Test func aTrialThatTrainedItsWholeBudgetBeforeARungSawItCompletes() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let experiment = try submitted(connection)
        let id = experiment.experiment, runs = experiment.runs
        let store = ExperimentStore(connection: connection), runStore = RunStore(connection: connection)
        for _ in 0..<2 { _ = try runStore.startNextQueued(psAddress: "127.0.0.1:1", actor: "test") }

        try progress(connection, run: runs[0], shards: 8, accuracy: 0.3)
        let first = try store.supervise(actor: "test")
        #expect(first == ["experiment \(id): trial 1 (run \(runs[0])) trained its whole budget before ASHA judged it at rung 1 "
                          + "(val_accuracy 0.3): it completes"], "\(first)")
        #expect(try runStore.state(run: runs[0]) == .running, "not paused: its run completes at its final validation")
        let recorded = try connection.execute(
            "SELECT rung, decision FROM experiment_rung_results WHERE experiment_id = $1 AND trial = 1 ORDER BY rung", [id])
        let decisions = try (0..<recorded.count).map { "\(try recorded.int($0, 0) ?? -1) \(recorded.string($0, 1) ?? "")" }
        #expect(decisions == ["0 promoted", "1 promoted"])
        #expect(try store.supervise(actor: "test").isEmpty, "judged once")

        // Its result ranks the next arrival: 0.5 beats it, so trial 2 goes on at once (the top 1 of 2).
        try progress(connection, run: runs[1], shards: 2, accuracy: 0.5)
        let second = try store.supervise(actor: "test")
        #expect(second.contains { $0.contains("trial 2 promoted at rung 0: val_accuracy 0.5 is in the top 1 of 2 results") }, "\(second)")
        #expect(try runStore.state(run: runs[1]) == .running)
        try runStore.apply(.complete, run: runs[0], actor: "test")
        #expect(try trialStates(connection, id).first == "completed")
    }

    @Test func cancellingAnExperimentCancelsPendingAndWaitingTrialsToo() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let experiment = try submitted(connection)
        let store = ExperimentStore(connection: connection), runStore = RunStore(connection: connection)
        _ = try runStore.startNextQueued(psAddress: "127.0.0.1:1", actor: "test")
        try progress(connection, run: experiment.runs[0], shards: 2, accuracy: 0.8)
        _ = try store.supervise(actor: "test")
        #expect(try trialStates(connection, experiment.experiment) == ["waiting", "queued", "queued", "pending"])
        #expect(try store.cancel(experiment.experiment, actor: "test") == experiment.runs)
        #expect(try experiment.runs.map { try runStore.state(run: $0) }.allSatisfy { $0 == .cancelled })
    }

    @Test func anExperimentCompletesWhenEveryTrialHasFinished() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let experiment = try submitted(connection)
        let store = ExperimentStore(connection: connection), runStore = RunStore(connection: connection)
        for (i, run) in experiment.runs.enumerated() {
            try connection.execute("UPDATE experiment_trial_runs SET released_at = now() WHERE run_id = $1", [run])
            try runStore.apply(.start, run: run, actor: "test", psAddress: "127.0.0.1:1")
            try progress(connection, run: run, shards: 8, accuracy: 0.9 + Double(i) / 100)
            if i < 3 { try runStore.apply(.complete, run: run, actor: "test") }
        }
        _ = try store.supervise(actor: "test")
        #expect(try store.summaries(experiment.experiment).first?.state == "running", "trial 4 still running")
        try runStore.apply(.complete, run: experiment.runs[3], actor: "test")
        let decisions = try store.supervise(actor: "test")
        #expect(decisions.last?.contains("every trial has finished") == true, "\(decisions)")
        let summary = try #require(try store.summaries(experiment.experiment).first)
        #expect(summary.state == "completed" && summary.completed == 4 && summary.bestTrial == 4 && summary.computePercent == 100)
    }
}
