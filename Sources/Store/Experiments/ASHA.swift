/// Asynchronous successive halving (Li et al., "A System for Massively Parallel Hyperparameter
/// Tuning", 2020) in its stopping form, as Ray Tune's ASHA scheduler runs it: when a trial reaches
/// a rung (a fraction of its full budget), its metric there is compared with every metric recorded
/// at that rung so far, its own included; it continues if it is at or above the (1 − 1/η)
/// quantile of them (the top 1/η), and stops otherwise. Nobody waits for a rung to fill, so the
/// first trials to arrive always continue, and the bar rises as results come in.
///
/// A pure value: `ExperimentStore` reads the recorded results, asks here, and carries out the answer.
public struct ASHA: Sendable, Equatable {
    public let rungs: SearchSpec.Rungs
    public let goal: SearchSpec.Goal

    public init(rungs: SearchSpec.Rungs, goal: SearchSpec.Goal) { self.rungs = rungs; self.goal = goal }

    public struct Decision: Equatable, Sendable {
        public let promoted: Bool
        /// The bar the value was held to (in the metric's own direction).
        public let cutoff: Double
        /// Results at the rung, this one included.
        public let results: Int
    }

    /// The rung budgets a trial that has trained `fraction` of its full budget has reached.
    public func rungsReached(fraction: Double) -> [Int] {
        rungs.budgets.indices.filter { fraction >= rungs.budgets[$0] - 1e-9 }
    }

    /// Whether a trial with `value` at a rung continues, given the values recorded there before it.
    /// A missing (NaN) value ranks below every other.
    public func decide(value: Double, earlier: [Double]) -> Decision {
        // In "larger is better" terms: a minimised metric is negated, a missing one is −∞.
        let score = { (v: Double) -> Double in v.isNaN ? -.infinity : (goal == .maximize ? v : -v) }
        let scores = (earlier + [value]).map(score).sorted()
        let cutoff = Self.quantile(scores, 1 - 1 / rungs.reductionFactor)
        let shown = goal == .maximize ? cutoff : -cutoff
        return Decision(promoted: score(value) >= cutoff, cutoff: shown, results: scores.count)
    }

    /// The q-quantile of ascending `sorted` values, linear between neighbours (numpy's default).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard sorted.count > 1 else { return sorted.first ?? -.infinity }
        let position = q * Double(sorted.count - 1)
        let below = Int(position.rounded(.down)), above = min(below + 1, sorted.count - 1)
        let low = sorted[below], high = sorted[above], fraction = position - Double(below)
        if fraction == 0 || low == high { return low }
        // A missing result (−∞) is below any point of the way to a real one.
        if low == -.infinity { return high }
        return low + (high - low) * fraction
    }
}
