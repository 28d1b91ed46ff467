import Foundation
import Yams

/// A run config with a `search:` section, parsed: the spec, and each trial's run config (the base
/// config with the trial's values applied like `--set`), every one validated before submit.
public struct ExperimentPlan: Sendable {
    public struct PlannedTrial: Sendable {
        public let trial: Trial
        public let config: RunConfig
    }

    public let spec: SearchSpec
    /// The config without its search section (what a trial starts from).
    public let base: RunConfig
    public let trials: [PlannedTrial]

    /// The same plan with every config's data replaced (a stored dataset resolved at submit).
    public func with(data: DataSource) -> ExperimentPlan {
        var base = base
        base.data = data
        return ExperimentPlan(spec: spec, base: base, trials: trials.map { planned in
            var config = planned.config
            config.data = data
            return PlannedTrial(trial: planned.trial, config: config)
        })
    }
}

extension RunConfigParser {
    /// The experiment a config file describes, or nil when it has no `search:` section (a plain run).
    /// - Throws: `RunConfigError` naming the key: in the search section, or the parameter
    ///   (`search.parameters.optimizer.lrr`) when a trial's value does not fit the run config.
    public func parseExperiment(file path: String, overrides: [String] = []) throws -> ExperimentPlan? {
        let text = try readConfig(path)
        return try parseExperiment(yaml: text, file: path, baseDirectory: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                   overrides: overrides)
    }

    public func parseExperiment(yaml text: String, file: String, baseDirectory: String,
                                overrides: [String] = []) throws -> ExperimentPlan? {
        let root = try compose(yaml: text, file: file, overrides: overrides)
        guard let mapping = root.mapping,
              let searchPair = mapping.first(where: { $0.key.string == "search" }) else { return nil }
        let withoutSearch = Node.mapping(Node.Mapping(mapping.filter { $0.key.string != "search" }.map { ($0.key, $0.value) },
                                                      mapping.tag, mapping.style, mapping.mark))
        let base = try build(ConfigNode(node: withoutSearch, path: "", file: file), baseDirectory: baseDirectory)
        let (spec, lines) = try SearchSection.parse(ConfigNode(node: searchPair.value, path: "search", file: file), runSeed: base.seed)
        let trials = try TrialSampler.trials(spec).map { trial -> ExperimentPlan.PlannedTrial in
            var trialRoot = withoutSearch
            do {
                for override in trial.overrides { try ConfigOverrides.apply(override, to: &trialRoot, file: file) }
                return .init(trial: trial, config: try build(ConfigNode(node: trialRoot, path: "", file: file), baseDirectory: baseDirectory))
            } catch let error as RunConfigError {
                throw Self.blame(error, trial: trial, lines: lines, file: file)
            }
        }
        return ExperimentPlan(spec: spec, base: base, trials: trials)
    }

    /// A trial's config refused: name the parameter that caused it when one did.
    static func blame(_ error: RunConfigError, trial: Trial, lines: [String: Int], file: String) -> RunConfigError {
        let kind: RunConfigError.Kind = error.kind == .badOverride ? .unknownKey : error.kind
        let matching = trial.values.first { !error.key.isEmpty && (error.key == $0.key || error.key.hasPrefix($0.key + ".")
                                                                   || $0.key.hasPrefix(error.key + ".")) }
        // A rule across keys (batch_size ≤ shard_size) names no key: with one parameter it is that one.
        guard let (key, value) = matching ?? (trial.values.count == 1 ? trial.values.first : nil) else {
            return RunConfigError(kind, file: file, key: "search.parameters", line: nil,
                                  "trial \(trial.number) (\(trial.overrides.joined(separator: " "))) makes a config the run refuses: \(error.reason)")
        }
        return RunConfigError(kind, file: file, key: "search.parameters.\(key)", line: lines[key].flatMap { $0 > 0 ? $0 : nil },
                              "trial \(trial.number) sets \(key) = \(value), which the run config refuses: \(error.reason)")
    }
}
