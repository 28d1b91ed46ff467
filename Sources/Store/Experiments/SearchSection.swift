import Yams

/// Reads the `search:` section of a run config into a `SearchSpec`, naming the key and line of
/// every mistake like the rest of the config. Whether each parameter's key path exists in a run
/// config is checked by `RunConfigParser.parseExperiment`, which applies it.
enum SearchSection {
    /// The spec, and the line of each parameter's key (for errors found when a trial applies it).
    static func parse(_ node: ConfigNode, runSeed: Int64) throws -> (spec: SearchSpec, lines: [String: Int]) {
        var section = try ConfigMapping(node)
        let method = try section.required("method", hint: "grid, random or asha").choice(SearchSpec.Method.self)
        let trialsNode = section.optional("trials")
        let concurrentNode = section.optional("max_concurrent")
        let metricNode = section.optional("metric")
        let goalNode = section.optional("goal")
        let seed = try section.optional("seed")?.int64() ?? runSeed
        let ashaNode = section.optional("asha")
        let parametersNode = try section.required("parameters", hint: "run-config key paths with their ranges, e.g. optimizer.lr: {log_uniform: [1e-5, 0.1]}")
        try section.finish()

        let metric = try metricNode?.string() ?? "val_accuracy"
        guard let defaultGoal = SearchSpec.metrics[metric] else {
            throw metricNode!.error(.invalidValue, "must be one of \(SearchSpec.metrics.keys.sorted().joined(separator: ", ")) (a metric every validation records), got '\(metric)'")
        }
        let goal = try goalNode?.choice(SearchSpec.Goal.self) ?? defaultGoal
        let (parameters, lines) = try parseParameters(parametersNode, method: method)

        let trials: Int
        if method == .grid {
            if let trialsNode {
                throw trialsNode.error(.unknownKey, "a grid runs every combination of the parameters' values: leave trials out")
            }
            guard let size = TrialSampler.gridSize(parameters), size <= TrialSampler.maxTrials else {
                throw parametersNode.error(.invalidValue, "the grid has more than \(TrialSampler.maxTrials) combinations")
            }
            trials = size
        } else {
            guard let trialsNode else {
                throw RunConfigError(.missingKey, file: node.file, key: "search.trials", line: node.line,
                                     "is required for \(method.rawValue) (how many trials to draw)")
            }
            trials = try trialsNode.int(in: 1...TrialSampler.maxTrials)
        }
        let maxConcurrent = try concurrentNode?.int(in: 1...TrialSampler.maxTrials) ?? trials

        var rungs: SearchSpec.Rungs?
        if method == .asha {
            var asha = try ashaNode.map { try ConfigMapping($0) }
            let minBudget = try asha?.optional("min_budget")?.double(in: 0...1, lowerOpen: true, upperOpen: true) ?? 1.0 / 9
            let factor = try asha?.optional("reduction_factor")?.double(in: 1...100, lowerOpen: true) ?? 3
            try asha?.finish()
            rungs = .init(minBudget: minBudget, reductionFactor: factor)
        } else if let ashaNode {
            throw ashaNode.error(.unknownKey, "asha applies only to method: asha")
        }
        let spec = SearchSpec(method: method, trials: trials, maxConcurrent: min(maxConcurrent, trials), metric: metric,
                              goal: goal, seed: seed, rungs: rungs, parameters: parameters)
        return (spec, lines)
    }

    private static func parseParameters(_ node: ConfigNode, method: SearchSpec.Method) throws
        -> ([SearchSpec.Parameter], [String: Int]) {
        guard case .mapping(let mapping) = node.node else {
            throw node.error(.wrongType, "expected a mapping of run-config key paths to ranges, got \(node.shown)")
        }
        guard !mapping.isEmpty else { throw node.error(.invalidValue, "names no parameter to search over") }
        var lines: [String: Int] = [:]
        let parameters = try mapping.map { keyNode, value in
            let key = try ConfigNode(node: keyNode, path: node.path, file: node.file).string()
            let entry = ConfigNode(node: value, path: "\(node.path).\(key)", file: node.file)
            guard lines[key] == nil else { throw entry.error(.invalidValue, "appears twice") }
            lines[key] = keyNode.mark?.line ?? 0
            let parts = key.split(separator: ".", omittingEmptySubsequences: false)
            guard !key.isEmpty, !parts.contains(where: \.isEmpty) else {
                throw entry.error(.invalidValue, "'\(key)' is not a key path (dotted run-config keys, e.g. optimizer.lr)")
            }
            guard parts.first != "search" else { throw entry.error(.invalidValue, "a search cannot vary its own settings") }
            if let reason = fixed[String(parts[0])] { throw entry.error(.invalidValue, "\(parts[0]) is the same for every trial: \(reason)") }
            return SearchSpec.Parameter(key: key, range: try range(entry, method: method))
        }
        return (parameters, lines)
    }

    private static let kinds = ["log_uniform", "uniform", "int", "choice"]

    /// Keys every trial shares, and why.
    private static let fixed = [
        "charset": "the alphabet is resolved once, at submit",
        "init": "the init checkpoint is read once, at submit",
        "name": "trials are named after the experiment (NAME-tN)",
    ]

    private static func range(_ node: ConfigNode, method: SearchSpec.Method) throws -> SearchSpec.Range {
        var section = try ConfigMapping(node)
        let given = kinds.compactMap { kind in section.optional(kind).map { (kind, $0) } }
        let pointsNode = section.optional("points")
        try section.finish()
        guard given.count == 1, let (kind, bounds) = given.first else {
            throw node.error(given.isEmpty ? .missingKey : .invalidValue,
                             "give exactly one of \(kinds.joined(separator: ", ")) (e.g. {log_uniform: [1e-5, 0.1]})")
        }
        if kind == "choice" {
            if let pointsNode { throw pointsNode.error(.unknownKey, "points applies to log_uniform and uniform ranges") }
            let options = try bounds.list()
            guard !options.isEmpty else { throw bounds.error(.invalidValue, "is an empty range: list at least one value") }
            var texts: [String] = []
            for option in options {
                guard case .scalar(let scalar) = option.node else {
                    throw option.error(.wrongType, "choices are single values (text or numbers), got \(option.shown)")
                }
                guard !texts.contains(scalar.string) else { throw option.error(.invalidValue, "'\(scalar.string)' is listed twice") }
                texts.append(scalar.string)
            }
            return .choice(texts)
        }
        let pair = try bounds.list()
        guard pair.count == 2 else { throw bounds.error(.invalidValue, "expected [low, high], got \(pair.count) values") }
        if kind == "int" {
            if let pointsNode {
                throw pointsNode.error(.unknownKey, "an int range takes every integer in a grid; points applies to log_uniform and uniform")
            }
            let low = try pair[0].int(in: Int.min / 2...Int.max / 2), high = try pair[1].int(in: Int.min / 2...Int.max / 2)
            guard low <= high else { throw bounds.error(.invalidValue, "is an empty range: low \(low) is above high \(high)") }
            return .int(low: low, high: high)
        }
        let low = try pair[0].double(in: -1e300...1e300), high = try pair[1].double(in: -1e300...1e300)
        guard low < high else { throw bounds.error(.invalidValue, "is an empty range: low \(low) must be below high \(high)") }
        if kind == "log_uniform" && low <= 0 {
            throw pair[0].error(.invalidValue, "a log_uniform range needs low > 0, got \(low)")
        }
        let points = try pointsNode?.int(in: 1...1000)
        if method == .grid && points == nil {
            throw node.error(.missingKey, "a grid over a \(kind) range needs points: N (how many values to try)")
        }
        if method != .grid, let pointsNode {
            throw pointsNode.error(.unknownKey, "points applies only to method: grid")
        }
        return kind == "log_uniform" ? .logUniform(low: low, high: high, points: points) : .uniform(low: low, high: high, points: points)
    }
}
