/// An experiment's trials on one chart: each trial's search metric (validation loss or accuracy)
/// against its optimiser steps, one line per trial, so that stopped trials show where they stopped.
public enum TrialCurves {
    public struct Trial: Sendable {
        public var label: String
        /// (step, value) of the metric, any order.
        public var points: [(step: Int64, value: Double)]

        public init(label: String, points: [(step: Int64, value: Double)]) { self.label = label; self.points = points }
    }

    /// Ten distinguishable colours (matplotlib's tab10), reused beyond ten trials.
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    public static func chart(metric: String, trials: [Trial]) -> LineChart {
        let series = trials.enumerated().map { index, trial in
            Series(name: trial.label, points: trial.points.sorted { $0.step < $1.step }.map { (Double($0.step), $0.value) },
                   colour: palette[index % palette.count])
        }
        let bounded = metric == "val_accuracy" || metric == "val_cer"
        return LineChart(title: metric, xLabel: "step", series: series, yRange: bounded ? 0...1 : nil)
    }
}
