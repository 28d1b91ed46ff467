/// A hyperparameter search, as the `search:` section of a run config describes it: which run-config
/// keys vary over which ranges, how trials are chosen (grid, random, ASHA), how many run at once,
/// and the metric that ranks them. Stored with the experiment as JSON (`experiment_specs.spec`).
public struct SearchSpec: Codable, Equatable, Sendable {
    public enum Method: String, Codable, CaseIterable, Sendable {
        /// Every combination of the parameters' values (ranges need `points`).
        case grid
        /// `trials` draws from the ranges, each trial run to its end.
        case random
        /// `trials` random draws; a trial that is not in the top 1/η of a rung stops there.
        case asha
    }

    /// Whether a larger metric is better.
    public enum Goal: String, Codable, CaseIterable, Sendable { case maximize, minimize }

    /// The values one run-config key may take.
    public enum Range: Codable, Equatable, Sendable {
        /// Log-uniform in [low, high] (both > 0); `points` log-spaced values for a grid.
        case logUniform(low: Double, high: Double, points: Int?)
        /// Uniform in [low, high]; `points` evenly spaced values for a grid.
        case uniform(low: Double, high: Double, points: Int?)
        /// An integer in [low, high], every one of them for a grid.
        case int(low: Int, high: Int)
        /// One of these YAML scalars, as written (`tiny`, `0.5`, `true`).
        case choice([String])
    }

    public struct Parameter: Codable, Equatable, Sendable {
        /// Dotted run-config key path, as `--set` takes it (`optimizer.lr`).
        public var key: String
        public var range: Range
        public init(key: String, range: Range) { self.key = key; self.range = range }
    }

    /// ASHA's rungs: budgets of `minBudget`, `minBudget`·η, `minBudget`·η², … of the full run
    /// (fractions of its samples), below 1; η is `reductionFactor`.
    public struct Rungs: Codable, Equatable, Sendable {
        public var minBudget: Double
        public var reductionFactor: Double
        public init(minBudget: Double, reductionFactor: Double) {
            self.minBudget = minBudget; self.reductionFactor = reductionFactor
        }

        /// The rung budgets as fractions of the full run, ascending, each below 99 % (a rung at
        /// 0.1111 · 9 = 99.99 % would only pause the last trials before their end).
        public var budgets: [Double] {
            var budgets: [Double] = []
            var budget = minBudget
            while budget < 0.99 && budgets.count < 64 {
                budgets.append(budget)
                budget *= reductionFactor
            }
            return budgets
        }
    }

    public var method: Method
    /// Trials to run (for a grid: the number of combinations).
    public var trials: Int
    /// Trials whose runs may be queued or running at once; the others wait their turn.
    public var maxConcurrent: Int
    /// A metric the coordinator records for every validation (`val_accuracy`, `val_loss`, `val_cer`).
    public var metric: String
    public var goal: Goal
    /// Seeds the draws: the same spec and seed give the same trials.
    public var seed: Int64
    /// ASHA only.
    public var rungs: Rungs?
    public var parameters: [Parameter]

    public init(method: Method, trials: Int, maxConcurrent: Int, metric: String, goal: Goal, seed: Int64,
                rungs: Rungs?, parameters: [Parameter]) {
        self.method = method; self.trials = trials; self.maxConcurrent = maxConcurrent; self.metric = metric
        self.goal = goal; self.seed = seed; self.rungs = rungs; self.parameters = parameters
    }

    /// The metrics a search may rank by, with the direction that is better.
    public static let metrics: [String: Goal] = ["val_accuracy": .maximize, "val_loss": .minimize, "val_cer": .minimize]
}
