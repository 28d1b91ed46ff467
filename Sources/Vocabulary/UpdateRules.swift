/// What the parameter server does with a gradient computed on parameters more than the
/// staleness bound behind.
public enum StalenessPolicy: String, Sendable, Codable, CaseIterable {
    /// Drop it.
    case refuse
    /// Scale it by bound / staleness.
    case downweight
}

/// When the optimiser steps.
public enum UpdateMode: Sendable, Equatable {
    /// Asynchronous SGD: a push is applied as soon as the optimiser is free. Pushes that arrive
    /// while a step runs are averaged into the next step (one update, several pushes), so a
    /// coordinator keeps up with many workers whatever one step costs.
    case asynchronous
    /// A barrier per step, for comparison: pushes on the current version wait until `workers`
    /// of them have arrived (nil: every worker holding a shard of the run, as the coordinator
    /// counts them), or until the barrier timeout, then one averaged step answers them all.
    /// A push on an older version is refused; the worker pulls and continues.
    case synchronous(workers: Int?)
}

extension UpdateMode: Codable {
    // As a run config writes it: false, true, or a number of workers.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            self = flag ? .synchronous(workers: nil) : .asynchronous
        } else {
            self = .synchronous(workers: try container.decode(Int.self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .asynchronous: try container.encode(false)
        case .synchronous(nil): try container.encode(true)
        case .synchronous(let workers?): try container.encode(workers)
        }
    }
}

/// The optimisers a run (or `crnnctl bench train`) can name; `Engine` implements each.
public enum OptimizerKind: String, Sendable, Codable, CaseIterable {
    /// SGD with momentum (the original recipe).
    case sgd
    case adam
    case adadelta
}
