/// A run's curves from its `metrics` rows: the loss (training and validation) and the validation
/// line accuracy and CER, against the parameter version (optimiser steps).
public enum RunCurves {
    public struct Point: Sendable {
        public var name: String
        public var step: Int64
        public var value: Double
        /// Per-worker rows (`worker_*` metrics) are not the run's curves.
        public var fromWorker: Bool

        public init(name: String, step: Int64, value: Double, fromWorker: Bool) {
            self.name = name; self.step = step; self.value = value; self.fromWorker = fromWorker
        }
    }

    public static func charts(_ points: [Point]) -> [LineChart] {
        func series(_ name: String, _ label: String, _ colour: String) -> Series {
            let rows = points.filter { $0.name == name && !$0.fromWorker }.sorted { $0.step < $1.step }
            return Series(name: label, points: rows.map { (Double($0.step), $0.value) }, colour: colour)
        }
        let steps = points.filter { !$0.fromWorker }.map { Double($0.step) }
        let shared = steps.min().map { $0...max($0, steps.max()!) }
        return [
            LineChart(title: "Loss", xLabel: "step", series: [
                series("train_loss", "training loss", "#1f77b4"),
                series("val_loss", "validation loss", "#ff7f0e"),
            ], xRange: shared),
            LineChart(title: "Validation", xLabel: "step", series: [
                series("val_accuracy", "line accuracy", "#2ca02c"),
                series("val_cer", "character error rate", "#d62728"),
            ], yRange: 0...1, xRange: shared),
        ]
    }
}
