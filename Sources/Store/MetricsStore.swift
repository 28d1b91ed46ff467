/// One measured value: `metrics` rows are (run, step, time, worker or NULL, name, value).
public struct MetricSample: Equatable, Sendable {
    public let run: Int64
    public let step: Int64
    public let name: String
    public let value: Double
    /// The reporting worker; nil for coordinator values (validation).
    public let worker: Int64?

    public init(run: Int64, step: Int64, name: String, value: Double, worker: Int64? = nil) {
        self.run = run; self.step = step; self.name = name; self.value = value; self.worker = worker
    }
}

/// Metric names the views and the cookbook rely on.
public enum MetricName {
    public static let trainLoss = "train_loss"
    public static let validationAccuracy = "val_accuracy"
    public static let validationLoss = "val_loss"
    /// Samples the parameter server applied since its previous report (no worker): the run's
    /// throughput is their sum over time.
    public static let samples = "samples"
    /// Samples one worker trained in one shard (with its worker id), reported at completion.
    public static let workerSamples = "worker_samples"
    /// A worker's mean loss over one shard.
    public static let workerTrainLoss = "worker_train_loss"
    /// Dataset lines one worker left out of one shard (label outside the charset, image unreadable).
    public static let workerSkipped = "worker_skipped"
    public static let learningRate = "lr"
    /// Versions between the parameters a gradient was computed on and those it was applied to.
    public static let staleness = "staleness"
}

/// Writes metric rows in batches and reads series back.
public struct MetricsStore {
    let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    /// Inserts `samples` (nothing for an empty batch) in one statement, whatever their number.
    /// Inside a transaction when the caller is in one.
    public func insert(_ samples: [MetricSample]) throws {
        guard !samples.isEmpty else { return }
        try connection.execute(Queries.insertMetrics, [
            PostgresArray.integers(samples.map(\.run)), PostgresArray.integers(samples.map(\.step)),
            PostgresArray.integers(samples.map(\.worker)), PostgresArray.texts(samples.map(\.name)),
            PostgresArray.doubles(samples.map(\.value)),
        ])
    }

    /// The highest step recorded for `run` (by the coordinator or a worker), nil when none is.
    public func lastStep(run: Int64) throws -> Int64? {
        try connection.execute(Queries.selectLastMetricStep, [run]).int(0, 0).map(Int64.init)
    }

    public struct Point: Equatable, Sendable {
        public let step: Int64
        public let time: String
        public let name: String
        public let value: Double
        public let worker: Int64?
    }

    /// A run's metrics by step (all names, or one), in the order a plot wants them.
    public func series(run: Int64, name: String? = nil) throws -> [Point] {
        let result = try connection.execute(Queries.selectMetricSeries, [run, name])
        return try (0..<result.count).map { row in
            Point(step: Int64(try result.int(row, 0) ?? 0), time: result.string(row, 1) ?? "",
                  name: result.string(row, 2) ?? "", value: try result.double(row, 3) ?? .nan,
                  worker: try result.int(row, 4).map(Int64.init))
        }
    }
}
