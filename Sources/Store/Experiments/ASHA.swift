/// Asynchronous successive halving (Li et al., "A System for Massively Parallel Hyperparameter
/// Tuning", MLSys 2020), for a fixed number of trials.
///
/// Rungs sit at budgets r, rη, rη², … of a trial's samples (η = `reductionFactor`). A trial that
/// reaches a rung records its metric there and waits (its run paused: it takes no workers). Each
/// rung promotes the waiting trials that are in its top ⌊n/η⌋ of the n results recorded there so
/// far: nothing waits for a rung to fill, the first promotions come as soon as η results are in,
/// and the freed workers start the next trial. Once no other trial can still arrive at a rung (the
/// rung is closed), its top ⌈n/η⌉ (at least one) go on and the rest stop. So arrival order does
/// not decide: an early, poor trial is not promoted just for being first.
///
/// A pure value: `ExperimentStore` reads the recorded results, asks here, and carries out the answer.
public struct ASHA: Sendable, Equatable {
    public let rungs: SearchSpec.Rungs
    public let goal: SearchSpec.Goal

    public init(rungs: SearchSpec.Rungs, goal: SearchSpec.Goal) { self.rungs = rungs; self.goal = goal }

    /// One rung's results: every trial's metric recorded there (NaN: none) and those already
    /// promoted or stopped; the others are waiting.
    public struct Rung: Equatable, Sendable {
        public var results: [Int: Double]
        public var promoted: Set<Int>
        public var stopped: Set<Int>
        /// Whether a trial without a result here may still arrive.
        public var open: Bool

        public init(results: [Int: Double], promoted: Set<Int> = [], stopped: Set<Int> = [], open: Bool) {
            self.results = results; self.promoted = promoted; self.stopped = stopped; self.open = open
        }
    }

    public struct Decision: Equatable, Sendable {
        public var promote: [Int] = []
        public var stop: [Int] = []
        /// The worst value that is promoted (nil while nobody can be).
        public var cutoff: Double?
        /// How many of the rung's results go on.
        public var quota: Int
    }

    /// The rung indices a trial that has trained `fraction` of its full budget has reached.
    public func rungsReached(fraction: Double) -> [Int] {
        rungs.budgets.indices.filter { fraction >= rungs.budgets[$0] - 1e-9 }
    }

    /// Which waiting trials of `rung` go on, and (once it is closed) which stop.
    public func decide(_ rung: Rung) -> Decision {
        let n = rung.results.count
        let share = Double(n) / rungs.reductionFactor
        let quota = rung.open ? Int(share.rounded(.down)) : max(1, Int(share.rounded(.up)))
        let ranked = rung.results.sorted { a, b in
            let (x, y) = (score(a.value), score(b.value))
            return x != y ? x > y : a.key < b.key
        }
        let top = ranked.prefix(quota)
        let waiting = { (trial: Int) in !rung.promoted.contains(trial) && !rung.stopped.contains(trial) }
        var decision = Decision(cutoff: top.last?.value, quota: quota)
        decision.promote = top.map(\.key).filter(waiting).sorted()
        if !rung.open {
            let kept = Set(top.map(\.key))
            decision.stop = ranked.map(\.key).filter { waiting($0) && !kept.contains($0) }.sorted()
        }
        return decision
    }

    /// Larger is better; a minimised metric is negated, a missing one is −∞.
    func score(_ value: Double) -> Double {
        value.isNaN ? -.infinity : (goal == .maximize ? value : -value)
    }
}
