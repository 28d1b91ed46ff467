// How far a worker got with one shard: samples done, the losses it saw, lines it skipped; the
// progress line it logs and the metrics it stores when the shard completes.
import Foundation
import Store
import Training

struct ShardProgress {
    let shard: ClaimedShard
    let worker: Int64
    var done = 0
    var skipped: [SkippedLine] = []
    private var lossSum = 0.0, lossCount = 0
    private var version: UInt64 = 0
    private let started: Date
    private var lastReport: Date

    init(shard: ClaimedShard, worker: Int64, now: Date = Date()) {
        self.shard = shard
        self.worker = worker
        started = now
        lastReport = now
    }

    /// One minibatch's loss (a non-finite one is left out of the mean) and the server's version after it.
    mutating func record(loss: Float, version: UInt64) {
        if loss.isFinite { lossSum += Double(loss); lossCount += 1 }
        self.version = version
    }

    var meanLoss: Double? { lossCount > 0 ? lossSum / Double(lossCount) : nil }

    /// Whether a progress line is due: `interval` seconds since the last one, or the shard is done.
    mutating func isDueForReport(every interval: Double, now: Date = Date()) -> Bool {
        guard now.timeIntervalSince(lastReport) >= interval || done == shard.sampleCount else { return false }
        lastReport = now
        return true
    }

    var line: String {
        let rate = Double(done) / max(Date().timeIntervalSince(started), 1e-6)
        return String(format: "run %lld shard %lld (epoch %d #%d): %d/%d samples, loss %.4f, %.1f img/s, version %llu",
                      shard.run, shard.id, shard.epoch, shard.index, done, shard.sampleCount,
                      meanLoss ?? .nan, rate, version)
    }

    /// The per-worker figures stored with the completion (the run's own `samples` and
    /// `train_loss` come from the server).
    func metrics(step: Int64, now: Date = Date()) -> [MetricSample] {
        let elapsed = max(now.timeIntervalSince(started), 1e-6)
        let trained = done - skipped.count
        var metrics = [
            MetricSample(run: shard.run, step: step, name: MetricName.workerSamples, value: Double(trained), worker: worker),
            MetricSample(run: shard.run, step: step, name: "worker_samples_per_s", value: Double(trained) / elapsed, worker: worker),
        ]
        if !skipped.isEmpty {
            metrics.append(MetricSample(run: shard.run, step: step, name: MetricName.workerSkipped, value: Double(skipped.count), worker: worker))
        }
        if let meanLoss {
            metrics.append(MetricSample(run: shard.run, step: step, name: MetricName.workerTrainLoss, value: meanLoss, worker: worker))
        }
        return metrics
    }
}
