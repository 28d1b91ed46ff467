import ArgumentParser
import CommandLineSupport
import Foundation
import Store

struct ExperimentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiments",
        abstract: "List hyperparameter searches, show one's trials, cancel one.",
        discussion: """
            An experiment is a run config with a search: section, submitted with crnnctl submit: \
            one run per trial (named NAME-tN), sharing the queue. SQL: the experiments and \
            experiment_trials views. Example: crnnctl submit examples/search-lr.yaml
            """,
        subcommands: [ExperimentsList.self, ExperimentsShow.self, ExperimentsCancel.self],
        defaultSubcommand: ExperimentsList.self)
}

/// The `EXPERIMENT` argument: a positive experiment id.
struct ExperimentArgument: ParsableArguments {
    @Argument(help: ArgumentHelp("The experiment id (as printed by submit and experiments).", valueName: "experiment"))
    var id: Int64

    func validate() throws {
        guard id > 0 else { throw ValidationError("EXPERIMENT must be a positive experiment id, got \(id)") }
    }
}

struct ExperimentsList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List experiments (the experiments view).")

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let experiments = try ExperimentStore(connection: database.connect(applicationName: "crnnctl")).summaries()
        if json { return try printJSON(experiments) }
        guard !experiments.isEmpty else {
            print("no experiments yet: add a search: section to a run config and crnnctl submit it")
            return
        }
        print(textTable(
            ["EXPERIMENT", "NAME", "METHOD", "STATE", "TRIALS", "RUNNING", "WAITING", "PENDING", "STOPPED", "COMPLETED", "COMPUTE",
             "BEST TRIAL", "BEST"],
            experiments.map { e in
                [String(e.experiment), e.name, e.method, e.state, String(e.trials), String(e.running), String(e.waiting), String(e.pending),
                 String(e.stopped), String(e.completed), e.computePercent.map { String(format: "%.1f%%", $0) } ?? "-",
                 e.bestTrial.map(String.init) ?? "-", e.bestMetric.map { "\(e.metric) \(cell($0))" } ?? "-"]
            }))
    }
}

struct ExperimentsShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "An experiment's trials: parameters, state, best metric, budget used, rung passed, why stopped.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var target: ExperimentArgument

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    struct Shown: Encodable {
        let experiment: ExperimentStore.Summary
        let trials: [ExperimentStore.TrialSummary]
    }

    func run() throws {
        let store = ExperimentStore(connection: try database.connect(applicationName: "crnnctl"))
        guard let summary = try store.summaries(target.id).first else {
            throw ValidationError("\(ExperimentStore.Failure.noSuchExperiment(target.id))")
        }
        let trials = try store.trials(target.id)
        if json { return try printJSON(Shown(experiment: summary, trials: trials)) }
        print("experiment \(summary.experiment) \(summary.name): \(summary.method), \(summary.state), metric \(summary.metric)")
        print("compute: \(summary.samplesUsed) samples of \(summary.samplesAllTrialsFull) for every trial run to its end"
              + (summary.computePercent.map { String(format: " (%.1f%%)", $0) } ?? ""))
        if let best = summary.bestTrial, let value = summary.bestMetric {
            let run = trials.first { $0.trial == best }?.run
            print("best: trial \(best)\(run.map { " (run \($0))" } ?? ""), \(summary.metric) \(cell(value))")
        }
        print(textTable(
            ["TRIAL", "RUN", "STATE", "PARAMETERS", "BEST", "BUDGET USED", "RUNG PASSED"],
            trials.map { t in
                [String(t.trial), String(t.run), t.state, t.parameters, cell(t.bestMetric),
                 "\(t.budgetUsed)/\(t.budgetFull)", t.rungPassed.map(String.init) ?? "-"]
            }))
        for t in trials { if let reason = t.stoppedReason { print("trial \(t.trial): \(reason)") } }
    }
}

struct ExperimentsCancel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel an experiment and every trial run not yet finished.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var target: ExperimentArgument

    func run() throws {
        let store = ExperimentStore(connection: try database.connect(applicationName: "crnnctl"))
        do {
            let runs = try store.cancel(target.id)
            print("experiment \(target.id) cancelled" + (runs.isEmpty ? "" : "; runs \(runs.map(String.init).joined(separator: ", ")) cancelled"))
        } catch let failure as ExperimentStore.Failure {
            throw ValidationError("\(failure)")
        }
    }
}
