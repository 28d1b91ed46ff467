// What a coordinator reports to Prometheus, per run it trains. Names follow Prometheus'
// conventions: the unit in the name, `_total` for counters, a `run` label.
import Foundation
import Prometheus

public final class CoordinatorMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// The handles of one run (made once per run the coordinator takes); `codec` names its
    /// gradient codec, a label of the received bytes.
    public func run(_ run: Int64, codec: String) -> RunMetrics { RunMetrics(registry: registry, run: run, codec: codec) }

    /// Shards of `run` in each state, as the coordinator last counted.
    public func setQueue(run: Int64, counts: [String: Int]) {
        for state in ["available", "running", "completed", "failed"] {
            registry.makeGauge(descriptor: .crnn("crnn_queue_shards", help: "Shards of the run in each state, as the coordinator last counted."), labels: [("run", String(run)), ("state", state)])
                .set(Double(counts[state] ?? 0))
        }
    }

    public struct RunMetrics: Sendable {
        let applied, refused, pulls, bytesIn, bytesOut: Counter
        let staleness: ValueHistogram
        let step: DurationHistogram
        let version, accuracy, errorRate, loss: Gauge

        init(registry: PrometheusCollectorRegistry, run: Int64, codec: String) {
            let label = ("run", String(run))
            applied = registry.makeCounter(descriptor: .crnn("crnn_ps_pushes_total", help: "Gradient pushes the parameter server received, by outcome."), labels: [label, ("outcome", "applied")])
            refused = registry.makeCounter(descriptor: .crnn("crnn_ps_pushes_total", help: "Gradient pushes the parameter server received, by outcome."), labels: [label, ("outcome", "refused")])
            pulls = registry.makeCounter(descriptor: .crnn("crnn_ps_pulls_total", help: "Parameter pulls the parameter server answered."), labels: [label])
            bytesIn = registry.makeCounter(descriptor: .crnn("crnn_ps_received_bytes_total", help: "Bytes of encoded gradients received in pushes, by the run's codec."), labels: [label, ("codec", codec)])
            bytesOut = registry.makeCounter(descriptor: .crnn("crnn_ps_sent_bytes_total", help: "Bytes of encoded parameters sent in pulls."), labels: [label])
            staleness = registry.makeValueHistogram(
                descriptor: .crnn("crnn_ps_push_staleness_versions", help: "How many versions the server had moved on from a push's base version."),
                labels: [label], buckets: [0, 1, 2, 4, 8, 16, 32, 64])
            step = registry.makeDurationHistogram(
                descriptor: .crnn("crnn_ps_optimizer_step_seconds", help: "Time one optimiser step over the whole model took."),
                labels: [label],
                buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(20), .milliseconds(50), .milliseconds(100),
                          .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2)])
            version = registry.makeGauge(descriptor: .crnn("crnn_ps_version", help: "The parameter version: optimiser steps applied so far."), labels: [label])
            accuracy = registry.makeGauge(descriptor: .crnn("crnn_validation_line_accuracy_ratio", help: "Share of held-out lines read exactly at the last validation."), labels: [label])
            errorRate = registry.makeGauge(descriptor: .crnn("crnn_validation_character_error_ratio", help: "Character error rate on the held-out lines at the last validation."), labels: [label])
            loss = registry.makeGauge(descriptor: .crnn("crnn_validation_loss", help: "Mean CTC loss on the held-out lines at the last validation."), labels: [label])
        }

        public func push(bytes: Int, applied wasApplied: Bool, staleness age: Int, version newVersion: UInt64) {
            (wasApplied ? applied : refused).increment()
            bytesIn.increment(by: Int64(bytes))
            staleness.record(Double(age))
            version.set(Double(newVersion))
        }

        /// A pull; `counted: false` for the other shards' parts of one worker's pull (bytes only).
        public func pull(bytes: Int, counted: Bool = true) {
            if counted { pulls.increment() }
            bytesOut.increment(by: Int64(bytes))
        }

        /// Bytes of a push to another shard than the first (the push is counted there).
        public func pushBytes(_ bytes: Int) {
            bytesIn.increment(by: Int64(bytes))
        }

        public func optimizerStep(seconds: Double) {
            step.record(.nanoseconds(Int64(seconds * 1e9)))
        }

        public func validation(accuracy lineAccuracy: Double, characterErrorRate: Double, loss validationLoss: Double) {
            accuracy.set(lineAccuracy)
            errorRate.set(characterErrorRate)
            loss.set(validationLoss)
        }
    }
}

extension MetricNameDescriptor {
    /// `name` as written (crnn_…, unit last) with its help text; the descriptor's parts only
    /// join with "_", so the whole name goes in `metricName`.
    static func crnn(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
