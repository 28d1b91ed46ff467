// The parameter server's rules as values: which push is taken and with what weight, and when the
// pending update becomes an optimiser step. No locks, no clock (`now` is passed in), no model:
// `ParameterServerCore` holds the locks and the optimiser thread and asks these functions.
import Foundation
import Vocabulary

/// How old a gradient may be, and what happens to one that is older.
public struct StalenessRule: Sendable, Equatable {
    public var bound: Int
    public var policy: StalenessPolicy

    public init(bound: Int, policy: StalenessPolicy) {
        self.bound = max(0, bound)
        self.policy = policy
    }

    /// The factor a push of `staleness` is applied with; nil when it is refused.
    public func weight(staleness: Int) -> Float? {
        if staleness <= bound { return 1 }
        switch policy {
        case .refuse: return nil
        case .downweight: return Float(max(bound, 1)) / Float(staleness)
        }
    }
}

/// The rules of one run's parameter server.
public struct UpdatePolicy: Sendable, Equatable {
    public var staleness: StalenessRule
    public var mode: UpdateMode
    /// How long a synchronous barrier waits for missing workers before stepping without them.
    public var barrierTimeout: Double
    /// The most samples one push may claim (the run's batch size): a larger claim would move the
    /// schedule and the `samples` metric by whatever a client says.
    public var maxSamplesPerPush: Int

    public init(staleness: StalenessRule, mode: UpdateMode = .asynchronous, barrierTimeout: Double = 60,
                maxSamplesPerPush: Int = .max) {
        self.staleness = staleness
        self.mode = mode
        self.barrierTimeout = barrierTimeout
        self.maxSamplesPerPush = max(1, maxSamplesPerPush)
    }

    /// What to do with a push.
    public enum Admission: Equatable, Sendable {
        /// Answer at once: not applied, with the reason.
        case refuse(staleness: Int, reason: String)
        /// Add it, scaled by `weight`, to the pending update.
        case accumulate(staleness: Int, weight: Float)
    }

    /// Why a push claiming `sampleCount` samples is refused before it is even decoded; nil if it is not.
    public func claimProblem(sampleCount: Int) -> String? {
        guard !(1...maxSamplesPerPush).contains(sampleCount) else { return nil }
        return "a push claims \(sampleCount) samples; it carries 1 to \(maxSamplesPerPush) (the batch size)"
    }

    /// The rule for a decoded push computed on `baseVersion` when the server is at `current`.
    public func admit(baseVersion: UInt64, current: UInt64, stopped: Bool) -> Admission {
        if stopped { return .refuse(staleness: 0, reason: "the run is no longer trained here") }
        guard baseVersion <= current else {
            return .refuse(staleness: 0, reason: "base version \(baseVersion) is newer than the server's \(current)")
        }
        let age = Int(current - baseVersion)
        switch mode {
        case .asynchronous:
            guard let weight = staleness.weight(staleness: age) else {
                return .refuse(staleness: age, reason: "stale: \(age) versions behind (bound \(staleness.bound)); pull and continue")
            }
            return .accumulate(staleness: age, weight: weight)
        case .synchronous:
            guard age == 0 else {
                return .refuse(staleness: age, reason: "synchronous run: this step is on version \(current), the push on \(baseVersion); pull and continue")
            }
            return .accumulate(staleness: 0, weight: 1)
        }
    }

    /// Whether a pending update of `pushes` pushes, the first of which arrived at `openedAt`,
    /// becomes a step `now`. `workersTraining`: workers holding a shard of the run, as the
    /// coordinator last counted (nil: not counted yet).
    public func stepsNow(pushes: Int, openedAt: Date?, workersTraining: Int?, now: Date) -> Bool {
        guard pushes > 0 else { return false }
        switch mode {
        case .asynchronous:
            return true
        case .synchronous(let workers):
            let wanted = min(workers ?? Int.max, workersTraining ?? workers ?? 1)
            let waited = openedAt.map { now.timeIntervalSince($0) } ?? 0
            return pushes >= max(1, wanted) || waited >= barrierTimeout
        }
    }
}
