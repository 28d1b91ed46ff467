import Foundation
import Store

/// Pushes seen since the last report, turned into metric rows: loss, throughput, bytes, ratio,
/// staleness percentiles.
struct PushStatistics {
    private(set) var pushes = 0
    private(set) var applied = 0
    private var samples = 0
    private var lossSum = 0.0
    private var lossCount = 0
    private var bytesIn = 0
    private var bytesOut = 0
    /// Pulls answered with parameters (not `unchanged`).
    private var pulls = 0
    private var rawBytes = 0
    private var staleness: [Int] = []
    private var since = Date()

    mutating func recordPush(bytes: Int, rawBytes: Int, samples: Int, loss: Float, staleness age: Int, applied didApply: Bool) {
        pushes += 1
        bytesIn += bytes
        self.rawBytes += rawBytes
        staleness.append(age)
        guard didApply else { return }
        applied += 1
        self.samples += samples
        if loss.isFinite { lossSum += Double(loss); lossCount += 1 }
    }

    /// Bytes of a push to another shard than the first (its step is counted there).
    mutating func recordBytesIn(_ bytes: Int) { bytesIn += bytes }

    /// Bytes of a pull from another shard than the first (the pull is counted there).
    mutating func recordBytesOut(_ bytes: Int) { bytesOut += bytes }

    mutating func recordPull(bytes: Int, unchanged: Bool) {
        bytesOut += bytes
        if !unchanged { pulls += 1 }
    }

    /// The interval's metrics at `step` (the parameter version); resets the interval.
    /// - Parameter updates: optimiser steps taken in the interval (one step may hold several pushes).
    mutating func drain(run: Int64, step: Int64, learningRate: Float, updates: Int) -> [MetricSample] {
        let elapsed = max(Date().timeIntervalSince(since), 1e-3)
        defer { self = PushStatistics() }
        guard pushes > 0 else { return [] }
        let sorted = staleness.sorted()
        func percentile(_ p: Double) -> Double { Double(sorted[min(sorted.count - 1, Int(p * Double(sorted.count - 1)))]) }
        var rows = [
            // `samples` feeds run_summary's throughput (sum over the last minute).
            MetricSample(run: run, step: step, name: MetricName.samples, value: Double(samples)),
            MetricSample(run: run, step: step, name: "samples_per_s", value: Double(samples) / elapsed),
            MetricSample(run: run, step: step, name: "updates_per_s", value: Double(updates) / elapsed),
            MetricSample(run: run, step: step, name: "pushes_per_update", value: Double(applied) / Double(max(updates, 1))),
            MetricSample(run: run, step: step, name: "bytes_in", value: Double(bytesIn)),
            MetricSample(run: run, step: step, name: "bytes_out", value: Double(bytesOut)),
            MetricSample(run: run, step: step, name: "pulls", value: Double(pulls)),
            MetricSample(run: run, step: step, name: "compression_ratio", value: Double(rawBytes) / Double(max(bytesIn, 1))),
            MetricSample(run: run, step: step, name: "staleness_p50", value: percentile(0.5)),
            MetricSample(run: run, step: step, name: "staleness_p99", value: percentile(0.99)),
            MetricSample(run: run, step: step, name: "pushes_refused", value: Double(pushes - applied)),
            MetricSample(run: run, step: step, name: MetricName.learningRate, value: Double(learningRate)),
        ]
        if lossCount > 0 {
            rows.append(MetricSample(run: run, step: step, name: MetricName.trainLoss, value: lossSum / Double(lossCount)))
        }
        return rows
    }
}
