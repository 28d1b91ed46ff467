import Foundation

/// Reading experiments back: the `experiments` and `experiment_trials` views.
extension ExperimentStore {
    /// One row of the `experiments` view.
    public struct Summary: Codable, Equatable, Sendable {
        public let experiment: Int64
        public let name: String
        public let method: String
        public let metric: String
        public let state: String
        public let trials: Int
        public let running: Int
        /// Paused at a rung until its results rank them (ASHA).
        public let waiting: Int
        public let pending: Int
        public let stopped: Int
        public let completed: Int
        /// Samples trained over every trial, and what running every trial to its end takes.
        public let samplesUsed: Int
        public let samplesAllTrialsFull: Int
        public let computePercent: Double?
        public let bestTrial: Int?
        public let bestMetric: Double?
        public let createdAt: String
        public let finishedAt: String?
    }

    /// One row of the `experiment_trials` view.
    public struct TrialSummary: Codable, Equatable, Sendable {
        public let trial: Int
        public let run: Int64
        public let state: String
        /// The trial's values as a JSON object.
        public let parameters: String
        public let bestMetric: Double?
        public let budgetUsed: Int
        public let budgetFull: Int
        public let rungPassed: Int?
        public let stoppedReason: String?
    }

    /// Every experiment, or only `experiment`.
    public func summaries(_ experiment: Int64? = nil) throws -> [Summary] {
        let rows = try connection.execute(Queries.selectExperiments, [experiment])
        return try (0..<rows.count).map { try summary(rows, $0) }
    }

    private func summary(_ rows: PostgresResult, _ i: Int) throws -> Summary {
        let counts = try (5...12).map { try rows.int(i, $0) ?? 0 }
        return Summary(
            experiment: Int64(try rows.int(i, 0) ?? 0), name: rows.string(i, 1) ?? "", method: rows.string(i, 2) ?? "",
            metric: rows.string(i, 3) ?? "", state: rows.string(i, 4) ?? "", trials: counts[0], running: counts[1],
            waiting: counts[2], pending: counts[3], stopped: counts[4], completed: counts[5], samplesUsed: counts[6],
            samplesAllTrialsFull: counts[7], computePercent: try rows.double(i, 13), bestTrial: try rows.int(i, 14),
            bestMetric: try rows.double(i, 15), createdAt: rows.string(i, 16) ?? "", finishedAt: rows.string(i, 17))
    }

    /// The trials of `experiment` in trial order.
    /// - Throws: `Failure.noSuchExperiment` when there is none.
    public func trials(_ experiment: Int64) throws -> [TrialSummary] {
        let rows = try connection.execute(Queries.selectExperimentTrials, [experiment])
        if rows.isEmpty, try summaries(experiment).isEmpty { throw Failure.noSuchExperiment(experiment) }
        return try (0..<rows.count).map { i in
            TrialSummary(trial: try rows.int(i, 0) ?? 0, run: Int64(try rows.int(i, 1) ?? 0), state: rows.string(i, 2) ?? "",
                         parameters: rows.string(i, 3) ?? "{}", bestMetric: try rows.double(i, 4),
                         budgetUsed: try rows.int(i, 5) ?? 0, budgetFull: try rows.int(i, 6) ?? 0,
                         rungPassed: try rows.int(i, 7), stoppedReason: rows.string(i, 8))
        }
    }

    /// The run of the experiment's best trial so far (by its metric), nil before any validation.
    public func bestRun(_ experiment: Int64) throws -> Int64? {
        guard let summary = try summaries(experiment).first else { throw Failure.noSuchExperiment(experiment) }
        guard let best = summary.bestTrial, summary.bestMetric != nil else { return nil }
        return try trials(experiment).first { $0.trial == best }?.run
    }
}
