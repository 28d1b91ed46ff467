import Engine
import Logging
import Testing
import Training
import Wire
@testable import Benchmarks
@testable import Coordinator

/// The parameter-server benchmark on a tiny model: real server, real clients, real pushes.
@Suite struct PSBenchmarkTests {
    let config = ModelPreset.tiny.config(classes: 11)

    /// A real one-step gradient of the tiny model on random images.
    func gradient() throws -> (wire: [Float], layout: [Int]) {
        let model = CRNNModel(config: config, seed: 1)
        let data = TrainBenchmark.batch(classes: 11, width: 64, batch: 2, seed: 1)
        let (wire, _) = try BenchmarkGradient.step(model: model, images: data.images, targets: data.targets)
        return (wire, BenchmarkGradient.layout(of: model))
    }

    func makeCore() -> ParameterServerCore {
        let model = CRNNModel(config: config, seed: 1)
        return ParameterServerCore(
            model: model, optimizer: Adam(layout: model.parameters.layout),
            schedule: LearningRateSchedule(baseRate: 1e-3),
            staleness: StalenessRule(bound: 8, policy: .downweight), samplesPerEpoch: 1000)
    }

    @Test func twoClientsPushAndEveryPushIsApplied() async throws {
        let (wire, layout) = try gradient()
        #expect(wire.count == makeCore().wireCount)
        let codec = try TopKCodec(fraction: 0.1, values: .fp16)
        let payload = try codec.encode(wire, layout: layout)
        let core = makeCore()
        let before = core.model.parameters.values
        let result = try await PSBenchmark.run(core: core, codec: codec, payload: payload, clients: 2, seconds: 0.5)
        #expect(result.pushes > 0)
        #expect(result.applied == result.pushes)
        // Pushes that arrive during a step share the next one.
        #expect(core.version >= 1 && core.version <= UInt64(result.pushes))
        #expect(core.samplesApplied == 32 * result.pushes)
        #expect(result.bytesIn == result.pushes * payload.count)
        #expect(result.pulls == 0)
        #expect(core.model.parameters.values != before)
    }

    @Test func profileApplyTimesAnAppliedStep() throws {
        let (wire, layout) = try gradient()
        let codec = try GradientCodecs.named("fp16+zstd")
        let payload = try codec.encode(wire, layout: layout)
        let core = makeCore()
        let profile = try PSBenchmark.profileApply(core: core, codec: codec, payload: payload, repeats: 3)
        // Each timed apply took a real optimiser step (a refused push would take none).
        #expect(core.version == 3)
        #expect(profile.apply > 0 && profile.decode > 0 && profile.optimizer > 0)
        #expect(profile.apply >= profile.optimizer)
    }

    @Test func workerPolicyPullsAsTheServerMoves() async throws {
        let (wire, layout) = try gradient()
        let codec = FP32ZstdCodec()
        let payload = try codec.encode(wire, layout: layout)
        let result = try await PSBenchmark.run(core: makeCore(), codec: codec, payload: payload, clients: 2,
                                               seconds: 0.5, pull: .worker)
        #expect(result.pushes > 0)
        // Each client pulls once before the clock (not counted), then whenever the server moved bound / 2 = 4
        // versions, which its own pushes alone do in 4: so no pull covers more than 4 pushes.
        #expect(result.pulls >= 1)
        #expect(result.pushes <= 4 * (result.pulls + 2))
        #expect(result.bytesOut > 0)
    }

    @Test func deltaPullsEveryStepSendLessThanTheArena() async throws {
        let (wire, layout) = try gradient()
        let codec = try TopKCodec(fraction: 0.1, values: .fp16)
        let payload = try codec.encode(wire, layout: layout)
        let exact = try await PSBenchmark.run(core: makeCore(), codec: codec, payload: payload, clients: 2,
                                              seconds: 0.5, pull: .everyStep)
        let delta = try await PSBenchmark.run(core: makeCore(), codec: codec, payload: payload, clients: 2,
                                              seconds: 0.5, pull: .everyStep,
                                              pulls: .delta(codec: try TopKCodec(fraction: 0.05, values: .fp16), resyncEvery: 1000))
        // Every push is followed by a pull (joining pulls are not counted: they come before the clock).
        #expect(exact.pulls == exact.pushes && delta.pulls == delta.pushes)
        #expect(exact.anchorPulls == 0)
        #expect(delta.bytesPerPull * 2 < exact.bytesPerPull,
                "delta \(delta.bytesPerPull) B per pull, exact \(exact.bytesPerPull)")
    }

    func makeShards(_ count: Int) -> [ParameterServerCore] {
        let model = CRNNModel(config: config, seed: 1)
        let wire = model.parameters.values + model.buffers.values
        return ArenaRanges.split(model, shards: count).map { range in
            ParameterServerCore(range: range, wire: wire, optimizer: Adam(layout: range.parameterLayout),
                                schedule: LearningRateSchedule(baseRate: 1e-3),
                                staleness: StalenessRule(bound: 8, policy: .downweight), samplesPerEpoch: 1000)
        }
    }

    @Test func shardedClientsPushAndPullEveryRange() async throws {
        let (wire, _) = try gradient()
        let codec = try TopKCodec(fraction: 0.1, values: .fp16)
        let shards = makeShards(3)
        let payloads = try shards.map { try codec.encode(Array(wire[$0.range.lower..<$0.range.upper]), layout: $0.range.pieces) }
        let result = try await PSBenchmark.run(shards: shards, codec: codec, payloads: payloads, clients: 2, seconds: 0.5,
                                               pull: .everyStep,
                                               pulls: .delta(codec: try TopKCodec(fraction: 0.05, values: .fp16), resyncEvery: 1000))
        #expect(result.pushes > 0)
        // A step pushes every range once: every shard applied every step's push, and pulled after it.
        #expect(result.bytesIn == result.pushes * payloads.reduce(0) { $0 + $1.count })
        #expect(result.pulls == result.pushes)
        for shard in shards {
            #expect(shard.samplesApplied == 32 * result.pushes)
            #expect(shard.version >= 1)
            shard.stop()
        }
    }

    @Test func aClientAskingForAnotherShardIsRefusedAndTheServerStaysUp() async throws {
        let shards = makeShards(2)
        let codec = FP32ZstdCodec()
        let token = try SharedToken("shard-test")
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let server = try await PSServer.bind(configuration: PSServerConfiguration(token: token, host: "127.0.0.1", port: 0),
                                             delegate: BenchmarkDelegate(core: shards[0], codec: codec), logger: logger)
        let serving = Task { try await server.run() }
        func connect(shard: UInt32, of count: UInt32) async throws -> PSClient {
            try await PSClient.connect(host: "127.0.0.1", port: server.port, token: token, clientName: "w",
                                       runID: BenchmarkDelegate.runID, shard: shard, shards: count)
        }
        await #expect(throws: PSClientError.refused("run 1: asked for shard 2 of 2, but this server serves \(shards[0].servedRange)")) {
            _ = try await connect(shard: 1, of: 2)
        }
        await #expect(throws: PSClientError.refused(
            "run 1: asked for shard 1 of 4, but this server serves \(shards[0].servedRange); the run's parameters are split into 2 shards")) {
            _ = try await connect(shard: 0, of: 4)
        }
        // Still serving: the right shard is admitted; a push sized for the other range is an error
        // on this connection, which then goes on.
        let client = try await connect(shard: 0, of: 2)
        #expect(client.welcome.range == shards[0].servedRange)
        let wrong = try codec.encode([Float](repeating: 0.01, count: shards[1].wireCount), layout: shards[1].range.pieces)
        await #expect(throws: PSClientError.self) {
            _ = try await client.push(baseVersion: 0, sampleCount: 4, loss: 1, codecName: codec.name, payload: wrong)
        }
        let right = try codec.encode([Float](repeating: 0.01, count: shards[0].wireCount), layout: shards[0].range.pieces)
        let ack = try await client.push(baseVersion: 0, sampleCount: 4, loss: 1, codecName: codec.name, payload: right)
        #expect(ack.status == .applied && ack.newVersion == 1)
        await client.bye()
        await server.close()
        _ = try? await serving.value
        for shard in shards { shard.stop() }
    }

    @Test func labelsAreSpreadIntoTheModelsClasses() {
        let classes = 30_657
        let mapped = (1...500).map { BenchmarkGradient.modelClass(Int32($0), classes: classes) }
        #expect(mapped.allSatisfy { (1..<classes).contains($0) })
        #expect(Set(mapped).count > 490)
        #expect(mapped.max()! > classes / 2)
    }
}
