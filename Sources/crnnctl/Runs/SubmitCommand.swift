import ArgumentParser
import CommandLineSupport
import Foundation
import Store
import TextImages
import Training

struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Validate a run config and queue the run with all its shards (or an experiment's trials).",
        discussion: """
            The config is YAML (see examples/demo.yaml). Mistakes are reported with the file, line \
            and key before anything touches the database. A config with a search: section is an \
            experiment: one run per trial, each validated here (see examples/search-lr.yaml and \
            crnnctl experiments). Example:
              crnnctl submit examples/demo.yaml --set optimizer.lr=0.0005 --set epochs=2
            """)

    @OptionGroup var database: DatabaseOptions

    @Argument(help: ArgumentHelp("The run config (YAML).", valueName: "file"))
    var file: String

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a config value (repeatable), e.g. --set optimizer.lr=0.001.", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: "Run name (default: the config's name, else the file name).")
    var name: String?

    @Option(help: "Higher runs are served first (default 0).")
    var priority: Int = 0

    func validate() throws {
        if let name, let problem = RunName.problem(name) {
            throw ValidationError("--name \(problem)")
        }
        guard (-1_000_000...1_000_000).contains(priority) else {
            throw ValidationError("--priority must be between -1000000 and 1000000, got \(priority)")
        }
    }

    func run() throws {
        // Parse first: a bad config is reported without needing a database.
        var plan = try RunConfigParser().parseExperiment(file: file, overrides: overrides)
        var config = try plan?.base ?? RunConfigParser().parse(file: file, overrides: overrides)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let fallbackName = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        // A checkpoint file is checked before the database is touched.
        var initial: InitialCheckpoint.Prepared?
        if case .file(let path) = config.initialization {
            initial = try InitialCheckpoint.prepare(Array(try Data(contentsOf: URL(fileURLWithPath: path))), source: path, config: config)
        }
        // The alphabet is resolved here, once: every machine trains the classes the submitter saw.
        var alphabet: [String]?
        if case .preset(let preset) = config.charset, preset.builtInCharacters == nil {
            alphabet = try Charset.preset(preset.rawValue).characters
        }
        // A dataset is checked before anything is queued: a run that would fail is refused.
        if case .dataset(let path, _) = config.data.labelledLines {
            try preflight(DatasetCheck.run(folder: path, alphabet: try runAlphabet(config),
                                           image: (config.image.width, config.image.height), direction: config.direction))
        }
        let connection = try database.connect(applicationName: "crnnctl")
        // A stored dataset: its id and line count, now (the shards slice its lines).
        if case .stored(let dataName, _, _) = config.data.labelledLines {
            let record: DatasetStore.Record
            do {
                record = try DatasetStore(connection: connection).find(dataName)
            } catch let failure as DatasetStore.Failure {
                throw ValidationError("\(file): data.dataset: \(failure)")
            }
            guard record.lines >= 2 else {
                throw ValidationError("\(file): data.dataset: dataset '\(dataName)' holds \(record.lines) line; a run needs at least 2")
            }
            let stored = DataSource.stored(name: dataName, id: record.id, samples: record.lines)
            if case .mix(_, let weight, let samples) = config.data {
                config.data = .mix(dataset: stored, weight: weight, samplesPerEpoch: samples)
            } else {
                config.data = stored
            }
            plan = plan?.with(data: config.data)
            try preflight(DatasetCheck.run(stored: dataName, store: DatasetStore(connection: connection), alphabet: try runAlphabet(config),
                                           image: (config.image.width, config.image.height), direction: config.direction))
        }
        if case .run(let source, let which) = config.initialization {
            let checkpoints = CheckpointStore(connection: connection)
            let record = try checkpoints.find(run: source, which == .best ? .best : .latest)
            initial = try InitialCheckpoint.prepare(try checkpoints.fetch(record), source: "run \(source) checkpoint \(record.id)",
                                                    config: config)
        }
        let runName = name ?? config.name ?? fallbackName
        if let plan {
            let submitted = try ExperimentStore(connection: connection).submit(
                plan: plan, configYAML: text, overrides: overrides, name: runName, alphabet: alphabet, priority: priority,
                initialCheckpoint: initial?.bytes)
            let spec = plan.spec
            print("experiment \(submitted.experiment) queued: \(spec.method.rawValue), \(plan.trials.count) trials "
                  + "(runs \(submitted.runs.first ?? 0)–\(submitted.runs.last ?? 0), \(submitted.shards) shards), "
                  + "\(spec.maxConcurrent) at a time, by \(spec.metric)")
            for planned in plan.trials {
                print("  trial \(planned.trial.number): " + planned.trial.overrides.joined(separator: " "))
            }
            return
        }
        let submitted = try RunStore(connection: connection).submit(
            config: config, configYAML: text, overrides: overrides, name: runName,
            alphabet: alphabet, priority: priority, initialCheckpoint: initial?.bytes)
        print("run \(submitted.run) queued: \(submitted.shards) shards" + (initial == nil ? "" : ", starting from its init checkpoint")
              + (initial?.mapping.map { " (\($0))" } ?? ""))
    }

    /// `datasets check` before anything is queued: a run that would fail is refused, naming why;
    /// one that would only skip lines goes ahead with the report as a warning.
    func preflight(_ report: DatasetReport) throws {
        if let fatal = report.fatal {
            throw ValidationError("\(file): data.dataset \(report.source): a run on it would fail: \(fatal)\n" + DatasetCheck.summary(report))
        }
        if !report.errors.isEmpty { printError("warning: " + DatasetCheck.summary(report)) }
    }
}
