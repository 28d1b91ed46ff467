/// What the coordinator and workers read about a run they train.
extension RunStore {
    public enum TrainingFailure: Error, CustomStringConvertible, Equatable {
        case noAlphabet(Int64)
        public var description: String {
            switch self {
            case .noAlphabet(let run): return "run \(run) has no stored alphabet yet (a run queued before alphabets were stored at submit gets it when a coordinator starts it)"
            }
        }
    }

    /// The run's alphabet (class i = element i − 1).
    public func charset(run: Int64) throws -> [String] {
        let row = try connection.execute(Queries.selectRunCharset, [run])
        guard !row.isEmpty else { throw Failure.noSuchRun(run) }
        guard let text = row.string(0, 0) else { throw TrainingFailure.noAlphabet(run) }
        return PostgresArray.parseTexts(text).compactMap { $0 }
    }

    /// Runs in `running` or `paused` state: what a restarted coordinator resumes.
    public func activeRuns() throws -> [(run: Int64, state: RunState)] {
        let rows = try connection.execute(Queries.selectActiveRuns)
        return try (0..<rows.count).map { r in
            (Int64(try rows.int(r, 0) ?? 0), try rows.named(RunState.self, r, 1))
        }
    }

    /// The run's state now.
    public func state(run: Int64) throws -> RunState {
        let row = try connection.execute(Queries.selectRunState, [run])
        guard !row.isEmpty, let state = RunState(rawValue: row.string(0, 0) ?? "") else { throw Failure.noSuchRun(run) }
        return state
    }
}

extension RunStore {
    /// Records where a run's parameter server listens now (a restarted coordinator may listen
    /// elsewhere); workers read it when they claim a shard.
    public func publish(run: Int64, psAddress: String) throws {
        try connection.execute(Queries.publishPSAddress, [run, psAddress])
    }
}

extension RunStore {
    /// Where the run's parameter server listens now (nil before a coordinator took it).
    public func psAddress(run: Int64) throws -> String? {
        let row = try connection.execute(Queries.selectPSAddress, [run])
        guard !row.isEmpty else { throw Failure.noSuchRun(run) }
        return row.string(0, 0)
    }
}
