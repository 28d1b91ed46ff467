// What a worker reports to Prometheus.
import Foundation
import Prometheus

/// Thread-safe: the registry and its handles are; `lock` guards the per-run handles.
public final class WorkerMetrics: @unchecked Sendable {
    public let registry: PrometheusCollectorRegistry
    let claims, reconnects: Counter
    let step, push: DurationHistogram
    /// Per-run handles, made once (the registry looks a metric up by name and labels).
    private let lock = NSLock()
    private var runs: [Int64: (samples: Counter, rate: Gauge)] = [:]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        claims = registry.makeCounter(descriptor: .crnn("crnn_worker_shard_claims_total", help: "Shards this worker claimed."))
        reconnects = registry.makeCounter(descriptor: .crnn("crnn_worker_reconnects_total", help: "Times this worker connected again to a run's parameter server after losing it."))
        let buckets: [Duration] = [.milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                   .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10)]
        step = registry.makeDurationHistogram(descriptor: .crnn("crnn_worker_step_seconds", help: "Forward, backward and gradient encoding of one minibatch."), buckets: buckets)
        push = registry.makeDurationHistogram(descriptor: .crnn("crnn_worker_push_seconds", help: "From sending a push to its acknowledgement."), buckets: buckets)
    }

    public func claimed() { claims.increment() }
    public func reconnected() { reconnects.increment() }
    public func stepped(seconds: Double) { step.record(.nanoseconds(Int64(seconds * 1e9))) }
    public func pushed(seconds: Double) { push.record(.nanoseconds(Int64(seconds * 1e9))) }

    /// A minibatch of `count` samples trained for `run`.
    public func trained(run: Int64, samples count: Int) {
        handles(run).samples.increment(by: Int64(count))
    }

    /// The throughput of the worker's last completed shard of `run`.
    public func throughput(run: Int64, samplesPerSecond: Double) {
        handles(run).rate.set(samplesPerSecond)
    }

    private func handles(_ run: Int64) -> (samples: Counter, rate: Gauge) {
        lock.withLock {
            if let found = runs[run] { return found }
            let label = [("run", String(run))]
            let made = (registry.makeCounter(descriptor: .crnn("crnn_worker_samples_total", help: "Samples this worker trained on."), labels: label),
                        registry.makeGauge(descriptor: .crnn("crnn_worker_samples_per_second", help: "Samples per second over the worker's last completed shard of the run."), labels: label))
            runs[run] = made
            return made
        }
    }
}
