import Engine
import Foundation
import Testing
import Training
import Vocabulary
import Wire
@testable import Coordinator

/// Parameter servers of one key range each (shards): what they step together is what one server
/// of the whole arena steps, and they refuse what is not theirs.
@Suite struct ShardedCoreTests {
    let config = ModelPreset.tiny.config(classes: 11)

    func wholeCore(_ model: CRNNModel) -> ParameterServerCore {
        ParameterServerCore(model: model, optimizer: Adam(layout: model.parameters.layout),
                            schedule: LearningRateSchedule(baseRate: 1e-2),
                            staleness: StalenessRule(bound: 4, policy: .downweight), samplesPerEpoch: 1000)
    }

    func shardCores(_ model: CRNNModel, shards: Int, stepper: ShardStepper? = nil) -> [ParameterServerCore] {
        let wire = model.parameters.values + model.buffers.values
        return ArenaRanges.split(model, shards: shards).map { range in
            ParameterServerCore(range: range, wire: wire, optimizer: Adam(layout: range.parameterLayout),
                                schedule: LearningRateSchedule(baseRate: 1e-2),
                                staleness: StalenessRule(bound: 4, policy: .downweight), samplesPerEpoch: 1000,
                                stepper: stepper)
        }
    }

    /// Three shards on one shared optimiser thread: every push is answered and every shard steps
    /// (pushes that arrive while the thread steps another shard wait and gather into its next step).
    @Test func shardsSharingOneOptimiserThreadAnswerEveryPush() async throws {
        let shards = shardCores(CRNNModel(config: config, seed: 5), shards: 3, stepper: ShardStepper(threads: 1))
        let codec = FP32ZstdCodec()
        // Bounded: a stepper that never steps would leave the pushes waiting; stopping the shards
        // after 60 s answers them as refused, and the test fails instead of hanging.
        let watchdog = Task {
            try await Task.sleep(nanoseconds: 60_000_000_000)
            for shard in shards { shard.stop() }
        }
        defer { watchdog.cancel() }
        let outcomes = try await withThrowingTaskGroup(of: PushOutcome.self) { group in
            for (s, shard) in shards.enumerated() {
                for push in 0..<8 {
                    let payload = try codec.encode(gradient(count: shard.wireCount, seed: UInt64(10 * s + push + 1)),
                                                   layout: shard.range.pieces)
                    group.addTask {
                        try await withCheckedThrowingContinuation { continuation in
                            do {
                                try payload.withUnsafeBytes {
                                    try shard.submit(payload: $0, codec: codec, baseVersion: shard.version, sampleCount: 4) {
                                        continuation.resume(returning: $0)
                                    }
                                }
                            } catch {
                                continuation.resume(throwing: error)
                            }
                        }
                    }
                }
            }
            var all: [PushOutcome] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.count == 24 && outcomes.allSatisfy(\.applied))
        for shard in shards {
            #expect(shard.samplesApplied == 8 * 4)
            #expect(shard.version >= 1 && shard.version <= 8)
        }
        for shard in shards { shard.stop() }
    }

    /// A random wire gradient (parameters, then a small change of the running statistics).
    func gradient(count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in rng.uniform(0.1) }
    }

    @Test func shardsStepTheSameParametersAsOneServer() throws {
        let whole = wholeCore(CRNNModel(config: config, seed: 5))
        let shards = shardCores(CRNNModel(config: config, seed: 5), shards: 3)
        #expect(shards.map(\.wireCount).reduce(0, +) == whole.wireCount)
        let codec = FP32ZstdCodec()
        for step in 0..<5 {
            let values = gradient(count: whole.wireCount, seed: UInt64(step + 1))
            let payload = try codec.encode(values, layout: whole.wireLayout)
            let outcome = try payload.withUnsafeBytes {
                try whole.apply(payload: $0, codec: codec, baseVersion: whole.version, sampleCount: 4)
            }
            #expect(outcome.applied)
            for shard in shards {
                let part = try codec.encode(Array(values[shard.range.lower..<shard.range.upper]), layout: shard.range.pieces)
                let outcome = try part.withUnsafeBytes {
                    try shard.apply(payload: $0, codec: codec, baseVersion: shard.version, sampleCount: 4)
                }
                #expect(outcome.applied && outcome.newVersion == UInt64(step + 1))
            }
        }
        // Adam is elementwise: the ranges' steps gathered are the whole server's, bit for bit.
        let gathered = shards.flatMap { $0.wireSnapshot().values }
        let expected = whole.wireSnapshot().values
        #expect(gathered == expected)
        #expect(expected != CRNNModel(config: config, seed: 5).parameters.values + CRNNModel(config: config, seed: 5).buffers.values)
        for shard in shards { shard.stop() }
        whole.stop()
    }

    /// A run resumed with shards: the checkpoint's optimiser state is split over the ranges, and
    /// the cut read back is the state it started from; a state of the wrong length is refused.
    @Test func aResumedStateSplitsOverTheShardsAndGathersBack() throws {
        let whole = wholeCore(CRNNModel(config: config, seed: 5))
        let codec = FP32ZstdCodec()
        for step in 0..<3 {
            let payload = try codec.encode(gradient(count: whole.wireCount, seed: UInt64(step + 1)), layout: whole.wireLayout)
            _ = try payload.withUnsafeBytes { try whole.apply(payload: $0, codec: codec, baseVersion: whole.version, sampleCount: 4) }
        }
        let model = CRNNModel(config: config, seed: 5)
        let (_, training) = whole.snapshot(into: model)
        whole.stop()
        func sharded(_ state: TrainingState) throws -> ShardedParameters {
            let wire = model.parameters.values + model.buffers.values
            return try ShardedParameters(
                model: model, shardCount: 3, makeOptimizer: { Adam(layout: $0) }, training: state,
                core: { range, optimizer, samples, stepper in
                    ParameterServerCore(range: range, wire: wire, optimizer: optimizer, schedule: LearningRateSchedule(baseRate: 1e-2),
                                        staleness: StalenessRule(bound: 4, policy: .downweight), samplesPerEpoch: 1000,
                                        samplesApplied: samples, stepper: stepper)
                },
                wholeCore: { _, _ in preconditionFailure("three shards") })
        }
        let resumed = try sharded(training)
        let (_, _, gathered) = resumed.snapshot(into: CRNNModel(config: config, seed: 9))
        #expect(gathered == training)
        #expect(resumed.samplesApplied == 12)
        resumed.stop()
        var longer = training
        longer.state = longer.state.map { $0 + [0] }
        #expect(throws: TrainingStateMismatch.self) { _ = try sharded(longer) }
    }

    @Test func aShardRefusesAPushOfAnotherRangesSize() throws {
        let shards = shardCores(CRNNModel(config: config, seed: 5), shards: 2)
        let codec = FP32ZstdCodec()
        let wrong = try codec.encode(gradient(count: shards[1].wireCount + 7, seed: 1), layout: [shards[1].wireCount + 7])
        #expect(throws: (any Error).self) {
            try wrong.withUnsafeBytes { try shards[0].apply(payload: $0, codec: codec, baseVersion: 0, sampleCount: 4) }
        }
        #expect(shards[0].version == 0, "nothing was applied")
        for shard in shards { shard.stop() }
    }

    @Test func aShardWelcomesOnlyItsOwnShard() throws {
        let shards = shardCores(CRNNModel(config: config, seed: 5), shards: 3)
        let welcome = try shards[1].welcome(Hello(clientName: "w", runID: 9, shard: 1, shards: 3), codecName: "fp16+zstd",
                                            pullCodecName: "")
        #expect(welcome.range == shards[1].servedRange && welcome.parameterCount == UInt64(shards[1].wireCount))
        do {
            _ = try shards[0].welcome(Hello(clientName: "w", runID: 9, shard: 2, shards: 3), codecName: "fp16+zstd", pullCodecName: "")
            Issue.record("shard 1 welcomed a client asking for shard 3")
        } catch {
            #expect("\(error)" == "run 9: asked for shard 3 of 3, but this server serves \(shards[0].servedRange)")
        }
        do {
            _ = try shards[2].welcome(Hello(clientName: "w", runID: 9, shard: 4, shards: 8), codecName: "fp16+zstd", pullCodecName: "")
            Issue.record("a shard welcomed a client asking for a range that does not exist")
        } catch {
            #expect("\(error)".hasSuffix("the run's parameters are split into 3 shards"))
        }
        for shard in shards { shard.stop() }
    }
}
