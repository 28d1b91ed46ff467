// A run's parameter servers: one core for the whole wire arena, or one core per key range
// (shards, `ArenaRanges`), each with its own optimiser over its range, version and locks.
// Validation and checkpoints read one consistent cut of all of them: every shard's model lock,
// taken in shard order, held while each range is copied out.
//
// Shapes: wire arena [P + B]; optimiser state arenas [P], split by the ranges' parameter parts
// (parameters come first in the wire arena, so range s's parameters are positions
// lower_s ..< lower_s + parameterCount_s of every state arena too).
import Engine
import Foundation
import Training
import Wire

public final class ShardedParameters: @unchecked Sendable {
    /// The shards' cores in shard order (one: the whole arena, a core with the model).
    public let shards: [ParameterServerCore]

    /// - Parameters:
    ///   - model: the run's model, holding the values to start from; with one shard its core
    ///     serves this model's own arenas.
    ///   - shardCount: key ranges (1: one server for the whole arena).
    ///   - makeOptimizer: the run's optimiser for a parameter layout.
    ///   - training: optimiser state and samples to resume with (split over the ranges).
    ///   - core: builds a core from its range's values and optimiser (the run's settings), stepped
    ///     by the optimiser threads the shards share (`ShardStepper`).
    /// - Throws: `TrainingStateMismatch` for a training state of another optimiser or layout.
    public init(model: CRNNModel, shardCount: Int, makeOptimizer: (ArenaLayout) -> any Optimizer,
                training: TrainingState?,
                core: (_ range: ArenaRange, _ optimizer: any Optimizer, _ samplesApplied: Int,
                       _ stepper: ShardStepper) -> ParameterServerCore,
                wholeCore: (_ optimizer: any Optimizer, _ samplesApplied: Int) -> ParameterServerCore) throws {
        if shardCount <= 1 {
            let optimizer = makeOptimizer(model.parameters.layout)
            if let training { try optimizer.restore(training) }
            shards = [wholeCore(optimizer, training?.samplesApplied ?? 0)]
            return
        }
        // A longer state's slices would fit every range: check the whole length first (each
        // range's restore checks the optimiser and the arena count).
        if let training, let wrong = training.state.first(where: { $0.count != model.parameters.count }) {
            throw TrainingStateMismatch(reason: "a state arena has \(wrong.count) values, the parameters \(model.parameters.count)")
        }
        let ranges = ArenaRanges.split(model, shards: shardCount)
        let stepper = ShardStepper(threads: ShardStepper.threads(forShards: shardCount))
        var cores: [ParameterServerCore] = []
        for range in ranges {
            let optimizer = makeOptimizer(range.parameterLayout)
            if let training {
                var part = training
                let span = range.lower..<(range.lower + range.parameterCount)
                part.state = training.state.map { Array($0[span]) }
                try optimizer.restore(part)
            }
            cores.append(core(range, optimizer, training?.samplesApplied ?? 0, stepper))
        }
        shards = cores
    }

    public var isSharded: Bool { shards.count > 1 }
    /// Shard 0: every worker step pushes to every shard, so the shards' versions move together.
    public var lead: ParameterServerCore { shards[0] }
    /// The run's version: shard 0's (each shard's own version is in its welcome and acks).
    public var version: UInt64 { lead.version }
    public var samplesApplied: Int { lead.samplesApplied }
    public var learningRate: Float { lead.learningRate }
    /// Wire values of the whole arena.
    public var wireCount: Int { shards.reduce(0) { $0 + $1.wireCount } }
    public var parameterCount: Int { shards.reduce(0) { $0 + $1.parameterCount } }

    public func setWorkersTraining(_ count: Int) { for shard in shards { shard.setWorkersTraining(count) } }
    public func stop() { for shard in shards { shard.stop() } }

    /// Copies one consistent cut of every shard into `copy` (parameters and running statistics)
    /// and returns its version (shard 0's; each shard's is in `versions`) and the training state
    /// that continues from it: the ranges' optimiser states joined, shard 0's step count and samples.
    public func snapshot(into copy: CRNNModel) -> (version: UInt64, versions: [UInt64], training: TrainingState) {
        if !isSharded {
            let (version, training) = lead.snapshot(into: copy)
            return (version, [version], training)
        }
        return withEveryShardLocked {
            var wire = [Float](); wire.reserveCapacity(wireCount)
            var states: [[Float]] = []
            var versions: [UInt64] = []
            for shard in shards {
                wire += shard.served.wireValues
                versions.append(shard.version)
                let state = shard.optimizer.state.map(\.values)
                if states.isEmpty { states = state } else { for i in states.indices { states[i] += state[i] } }
            }
            WireArena.load(wire, into: copy)
            let training = TrainingState(optimizer: lead.optimizer.kind, stepCount: lead.optimizer.stepCount,
                                         samplesApplied: lead.samplesApplied, state: states)
            return (versions[0], versions, training)
        }
    }

    /// Runs `body` while no shard takes a step: each shard's model lock, in shard order (the one
    /// order every caller takes them in, so two cuts cannot deadlock).
    private func withEveryShardLocked<T>(from index: Int = 0, _ body: () -> T) -> T {
        guard index < shards.count else { return body() }
        return shards[index].withExclusiveArenas { _, _ in withEveryShardLocked(from: index + 1, body) }
    }
}
