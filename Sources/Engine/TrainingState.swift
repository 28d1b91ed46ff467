// What training needs besides the parameters to continue exactly where it stopped: the
// optimiser's state arenas and step count, and the samples its steps were taken on (the
// learning-rate schedule's position). A checkpoint of format version 2 stores it.
//
// Shapes: every state arena [P], the parameters' layout (see Optimizers.swift).

/// The optimisers whose state a checkpoint can hold.
public enum OptimizerKind: String, Sendable, CaseIterable {
    case sgd, adam, adadelta

    /// The names of the optimiser's state arenas in `Optimizer.state` order (PyTorch's state keys).
    public var stateNames: [String] {
        switch self {
        case .sgd: return ["momentum_buffer"]
        case .adam: return ["exp_avg", "exp_avg_sq"]
        case .adadelta: return ["square_avg", "acc_delta"]
        }
    }
}

/// An optimiser's state and the training progress, as a checkpoint stores them.
public struct TrainingState: Sendable, Equatable {
    public var optimizer: OptimizerKind
    /// `Optimizer.stepCount`: Adam's bias correction and SGD's first step depend on it.
    public var stepCount: Int
    /// Samples the steps were taken on: the schedule's position is samples / samples per epoch.
    public var samplesApplied: Int
    /// The state arenas' values, in `optimizer.stateNames` order, each in the parameters' layout.
    public var state: [[Float]]

    public init(optimizer: OptimizerKind, stepCount: Int, samplesApplied: Int, state: [[Float]]) {
        self.optimizer = optimizer; self.stepCount = stepCount
        self.samplesApplied = samplesApplied; self.state = state
    }
}

/// A training state that does not fit the optimiser it is restored into.
public struct TrainingStateMismatch: Error, Equatable, CustomStringConvertible {
    public let reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { "the checkpoint's optimizer state does not fit: \(reason)" }
}

extension Optimizer {
    /// A copy of the optimiser's state, with the samples its steps were taken on.
    public func trainingState(samplesApplied: Int) -> TrainingState {
        TrainingState(optimizer: kind, stepCount: stepCount, samplesApplied: samplesApplied,
                      state: state.map(\.values))
    }

    /// Loads `saved` into this optimiser; its later steps are then those it would have taken.
    /// - Throws: `TrainingStateMismatch` when `saved` is another optimiser's or another layout's.
    public func restore(_ saved: TrainingState) throws {
        guard saved.optimizer == kind else {
            throw TrainingStateMismatch(reason: "it is \(saved.optimizer.rawValue)'s, the run trains with \(kind.rawValue)")
        }
        let arenas = state
        guard saved.state.count == arenas.count else {
            throw TrainingStateMismatch(reason: "\(saved.state.count) state arenas, \(kind.rawValue) keeps \(arenas.count)")
        }
        for (i, (values, arena)) in zip(saved.state, arenas).enumerated() where values.count != arena.count {
            throw TrainingStateMismatch(
                reason: "\(kind.stateNames[i]) has \(values.count) values, the parameters \(arena.count)")
        }
        guard saved.stepCount >= 0 else { throw TrainingStateMismatch(reason: "stepCount is \(saved.stepCount)") }
        for (values, arena) in zip(saved.state, arenas) { arena.load(values) }
        stepCount = saved.stepCount
    }
}
