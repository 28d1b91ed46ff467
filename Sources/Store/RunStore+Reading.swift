/// Reading runs back: the `run_summary` view for lists, and the details `crnnctl show` prints.
extension RunStore {
    /// One row of `run_summary`.
    public struct Summary: Codable, Equatable, Sendable {
        public let run: Int64
        public let name: String
        public let state: RunState
        public let priority: Int
        public let shardsCompleted: Int
        public let shardsTotal: Int
        public let shardsFailed: Int
        public let progressPercent: Double?
        public let trainLoss: Double?
        public let bestValAccuracy: Double?
        public let samplesPerSecond: Double
        public let activeWorkers: Int
        public let createdAt: String
        public let startedAt: String?
        public let finishedAt: String?
        public let error: String?
        /// Why the run may not be learning (`ConvergenceGuard`); nil when fine.
        public let warning: String?
    }

    public struct Event: Codable, Equatable, Sendable {
        public let time: String
        public let from: RunState?
        public let to: RunState
        public let actor: String
        public let detail: String?
    }

    public struct LatestMetric: Codable, Equatable, Sendable {
        public let name: String
        public let step: Int64
        public let value: Double
        public let time: String
    }

    /// What `crnnctl show` prints.
    public struct Detail: Codable, Equatable, Sendable {
        public let summary: Summary
        public let configYAML: String
        public let overrides: [String]
        public let hyperparameters: String
        public let charsetName: String
        public let charsetSize: Int?
        public let psAddress: String?
        public let shardStates: [String: Int]
        public let events: [Event]
        public let latestMetrics: [LatestMetric]
    }

    /// Every run, as `run_summary` shows it (the view aggregates, so psql users see the same).
    public func list() throws -> [Summary] { try summaries(run: nil) }

    private func summaries(run: Int64?) throws -> [Summary] {
        let result = try connection.execute(Queries.selectRunSummaries, [run])
        return try (0..<result.count).map { row in
            Summary(
                run: Int64(try result.int(row, 0) ?? 0), name: result.string(row, 1) ?? "",
                state: try result.named(RunState.self, row, 2),
                priority: try result.int(row, 3) ?? 0,
                shardsCompleted: try result.int(row, 4) ?? 0, shardsTotal: try result.int(row, 5) ?? 0,
                shardsFailed: try result.int(row, 6) ?? 0, progressPercent: try result.double(row, 7),
                trainLoss: try result.double(row, 8), bestValAccuracy: try result.double(row, 9),
                samplesPerSecond: try result.double(row, 10) ?? 0, activeWorkers: try result.int(row, 11) ?? 0,
                createdAt: result.string(row, 12) ?? "", startedAt: result.string(row, 13),
                finishedAt: result.string(row, 14), error: result.string(row, 15),
                warning: result.string(row, 16))
        }
    }

    /// Everything about one run.
    /// - Throws: `Failure.noSuchRun`.
    public func detail(run: Int64) throws -> Detail {
        guard let summary = try summaries(run: run).first else { throw Failure.noSuchRun(run) }
        let row = try connection.execute(Queries.selectRunDetail, [run])
        let states = try connection.execute(Queries.countShardsByState, [run])
        let events = try connection.execute(Queries.selectRunEvents, [run])
        let metrics = try connection.execute(Queries.selectLatestMetrics, [run])
        var shardStates: [String: Int] = [:]
        for r in 0..<states.count { shardStates[states.string(r, 0) ?? "?"] = try states.int(r, 1) ?? 0 }
        return Detail(
            summary: summary, configYAML: row.string(0, 0) ?? "",
            overrides: PostgresArray.parseTexts(row.string(0, 1) ?? "{}").compactMap { $0 },
            hyperparameters: row.string(0, 2) ?? "{}", charsetName: row.string(0, 3) ?? "",
            charsetSize: try row.int(0, 4), psAddress: row.string(0, 5), shardStates: shardStates,
            events: try (0..<events.count).map { r in
                Event(time: events.string(r, 0) ?? "",
                      from: events.isNull(r, 1) ? nil : try events.named(RunState.self, r, 1),
                      to: try events.named(RunState.self, r, 2),
                      actor: events.string(r, 3) ?? "", detail: events.string(r, 4))
            },
            latestMetrics: try (0..<metrics.count).map { r in
                LatestMetric(name: metrics.string(r, 0) ?? "", step: Int64(try metrics.int(r, 1) ?? 0),
                             value: try metrics.double(r, 2) ?? .nan, time: metrics.string(r, 3) ?? "")
            })
    }

    /// The stored config of a run, decoded (what a coordinator or worker starts from).
    public func config(run: Int64) throws -> RunConfig {
        let row = try connection.execute(Queries.selectRunConfig, [run])
        guard !row.isEmpty, let json = row.string(0, 0) else { throw Failure.noSuchRun(run) }
        return try RunConfig(json: json)
    }
}
