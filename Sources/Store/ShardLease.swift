import Foundation

/// The lease rules of one shard, as a pure value: what claiming, renewing, completing, giving
/// back, failing and expiring do. `ShardQueue`'s SQL applies the same rules in bulk; it asks this
/// type to explain a refused statement (who owns the shard now, was it already completed).
public struct ShardLease: Equatable, Sendable {
    public enum State: Equatable, Sendable {
        case available
        /// Held by `owner` until `expiresAt`; after that the rescuer may take it back.
        case leased(owner: Int64, expiresAt: Date)
        /// `by` is the worker whose completion counted.
        case completed(by: Int64)
        case failed
    }

    public enum Outcome: Equatable, Sendable {
        case claimed(expiresAt: Date)
        case renewed(expiresAt: Date)
        case completed
        /// The same owner completed it before: the second completion counts nothing.
        case alreadyCompleted
        case gaveBack
        /// Back in the queue after an expired lease or a reported failure, with the new attempt count.
        case returned(attempt: Int)
        /// `attempt` reached `maxAttempts`.
        case failed(attempt: Int)
        case refused(Refusal)
    }

    public enum Refusal: Equatable, Sendable, CustomStringConvertible {
        case notAvailable(State)
        /// The caller does not hold the lease: it expired and went to someone else, or never was its.
        case notOwner(current: State)
        case finished(State)

        public var description: String {
            switch self {
            case .notAvailable(let state): return "the shard is not available (\(state))"
            case .notOwner(let state): return "this worker does not hold the shard's lease (now \(state))"
            case .finished(let state): return "the shard is already \(state)"
            }
        }
    }

    public private(set) var state: State
    public private(set) var attempt: Int
    public let maxAttempts: Int

    public init(state: State = .available, attempt: Int = 0, maxAttempts: Int = 3) {
        precondition(maxAttempts > 0, "maxAttempts must be positive")
        self.state = state
        self.attempt = attempt
        self.maxAttempts = maxAttempts
    }

    public mutating func claim(by worker: Int64, now: Date, duration: TimeInterval) -> Outcome {
        guard state == .available else { return .refused(.notAvailable(state)) }
        let expiry = now.addingTimeInterval(duration)
        state = .leased(owner: worker, expiresAt: expiry)
        return .claimed(expiresAt: expiry)
    }

    /// Renewing a lease past its expiry is allowed while nobody took the shard back: no work was lost.
    public mutating func renew(by worker: Int64, now: Date, duration: TimeInterval) -> Outcome {
        guard case .leased(worker, _) = state else { return .refused(.notOwner(current: state)) }
        let expiry = now.addingTimeInterval(duration)
        state = .leased(owner: worker, expiresAt: expiry)
        return .renewed(expiresAt: expiry)
    }

    /// Idempotent for the worker whose completion counted; refused for anyone else (a late
    /// completion after the lease expired and the shard was rescued or re-claimed).
    public mutating func complete(by worker: Int64) -> Outcome {
        switch state {
        case .leased(worker, _):
            state = .completed(by: worker)
            return .completed
        case .completed(worker):
            return .alreadyCompleted
        default:
            return .refused(.notOwner(current: state))
        }
    }

    /// A voluntary return (worker shutting down, run paused): not a failed attempt.
    public mutating func giveBack(by worker: Int64) -> Outcome {
        guard case .leased(worker, _) = state else { return .refused(.notOwner(current: state)) }
        state = .available
        return .gaveBack
    }

    /// The owner reports it could not train the shard.
    public mutating func fail(by worker: Int64) -> Outcome {
        guard case .leased(worker, _) = state else { return .refused(.notOwner(current: state)) }
        return spendAttempt()
    }

    /// The rescuer's rule: an expired lease costs an attempt. Nil when there is nothing to rescue.
    public mutating func expire(now: Date) -> Outcome? {
        guard case .leased(_, let expiry) = state, expiry < now else { return nil }
        return spendAttempt()
    }

    private mutating func spendAttempt() -> Outcome {
        attempt += 1
        if ShardLease.isExhausted(attempt: attempt, maxAttempts: maxAttempts) {
            state = .failed
            return .failed(attempt: attempt)
        }
        state = .available
        return .returned(attempt: attempt)
    }

    /// The rule the SQL rescuer also applies: `attempt + 1 >= max_attempts` fails the shard.
    public static func isExhausted(attempt: Int, maxAttempts: Int) -> Bool { attempt >= maxAttempts }
}
