// A worker's session against sharded parameter servers, in process: one link per key range,
// each range pushed to and pulled from its own `ParameterServerCore`.
import Coordinator
import Engine
import Foundation
import Store
import Testing
import TestSupport
import TextImages
import Training
import Wire
@testable import Worker

@Suite struct ShardedSessionTests {
    /// The demo's recipe with lossless pushes; bound 2 pulls after every version.
    static func recipe(pulls: String = "") throws -> RunRecipe {
        try RunSessionTests.recipe(codec: "fp32+zstd", extra: pulls)
    }

    /// The run's parameter servers in `count` shards, as the coordinator builds them.
    static func servers(_ recipe: RunRecipe, shards count: Int) throws -> ShardedParameters {
        let model = recipe.makeModel(threads: 1)
        let wire = model.parameters.values + model.buffers.values
        let staleness = StalenessRule(bound: recipe.config.staleness.bound, policy: recipe.config.staleness.policy)
        return try ShardedParameters(
            model: model, shardCount: count, makeOptimizer: { recipe.makeOptimizer(layout: $0) }, training: nil,
            core: { range, optimizer, _, stepper in
                ParameterServerCore(range: range, wire: wire, optimizer: optimizer, schedule: recipe.schedule,
                                    staleness: staleness, samplesPerEpoch: recipe.config.samplesPerEpoch,
                                    maxSamplesPerPush: recipe.config.batchSize, stepper: stepper)
            },
            wholeCore: { optimizer, _ in
                ParameterServerCore(model: model, optimizer: optimizer, schedule: recipe.schedule, staleness: staleness,
                                    samplesPerEpoch: recipe.config.samplesPerEpoch, maxSamplesPerPush: recipe.config.batchSize)
            })
    }

    static func session(_ recipe: RunRecipe, _ servers: ShardedParameters) throws -> RunSession {
        let codec = try recipe.makeCodec(), pulls = try recipe.makePullPolicy()
        return try RunSession(recipe: recipe, fonts: RunSessionTests.fonts,
                              links: servers.shards.map { InProcessLink(core: $0, codec: codec, pullPolicy: pulls) },
                              threads: 1, overlapPulls: false)
    }

    @Test func threeShardsTrainExactlyAsOneServer() async throws {
        let recipe = try Self.recipe()
        let one = try Self.servers(recipe, shards: 1), three = try Self.servers(recipe, shards: 3)
        defer { one.stop(); three.stop() }
        #expect(three.shards.map(\.range.shard) == [0, 1, 2] && three.wireCount == one.wireCount)
        let whole = try Self.session(recipe, one), sharded = try Self.session(recipe, three)
        try await whole.pull()
        try await sharded.pull()
        var losses: [Float] = []
        for index in 0..<12 {
            let (images, labels) = RunSessionTests.batch(recipe, whole.source, index: index)
            let (loss, ack) = try await whole.step(images: images, labels: labels)
            let (shardedLoss, shardedAck) = try await sharded.step(images: images, labels: labels)
            #expect(ack.status == .applied && shardedAck.status == .applied)
            #expect(loss == shardedLoss, "step \(index): the replicas hold the same parameters")
            losses.append(loss)
        }
        // Every shard took every step; Adam is elementwise, so the ranges' steps are one server's.
        #expect(three.shards.allSatisfy { $0.version == 12 && $0.samplesApplied == 12 * 16 })
        let gathered = recipe.makeModel(threads: 1), reference = recipe.makeModel(threads: 1)
        let (version, versions, training) = three.snapshot(into: gathered)
        let (_, _, wholeTraining) = one.snapshot(into: reference)
        #expect(version == 12 && versions == [12, 12, 12])
        #expect(gathered.parameters.values == reference.parameters.values)
        #expect(gathered.buffers.values == reference.buffers.values)
        #expect(training == wholeTraining, "the joined optimiser state is the whole server's")
        #expect(sharded.model.parameters.values == whole.model.parameters.values)
        #expect(losses.suffix(4).reduce(0, +) < losses.prefix(4).reduce(0, +), "the loss falls: \(losses)")
    }

    @Test func aSessionRefusesShardsThatAreNotItsSplit() throws {
        let recipe = try Self.recipe()
        let three = try Self.servers(recipe, shards: 3)
        defer { three.stop() }
        let codec = try recipe.makeCodec()
        #expect {
            try RunSession(recipe: recipe, fonts: RunSessionTests.fonts,
                           links: three.shards.prefix(2).map { InProcessLink(core: $0, codec: codec) }, threads: 1)
        } throws: { "\($0)".contains("wants shard 1 of 2") && "\($0)".contains("serves shard 1 of 3") }
    }

    @Test func shardsFollowTheirOwnDeltaChains() async throws {
        let recipe = try Self.recipe(pulls: "pulls: {codec: topk+fp16+zstd, k: 0.1, resync_every: 5}")
        let servers = try Self.servers(recipe, shards: 2)
        defer { servers.stop() }
        let session = try Self.session(recipe, servers)
        try await session.pull()
        #expect(session.anchorsInstalled == 2, "one anchor per shard")
        for index in 0..<12 {
            let (images, labels) = RunSessionTests.batch(recipe, session.source, index: index)
            let (_, ack) = try await session.step(images: images, labels: labels)
            #expect(ack.status == .applied)
        }
        // The replica's ranges are their shards' published ranges, bit for bit, and the resyncs
        // (every 5 publications) sent new anchors on both shards.
        let replica = session.model.parameters.values + session.model.buffers.values
        for shard in session.shards {
            #expect(shard.published != nil)
            #expect(Array(replica[shard.range.lower..<shard.range.lower + shard.range.parameterCount])
                    == Array(shard.published!.prefix(shard.range.parameterCount)))
        }
        #expect(session.anchorsInstalled >= 4)
    }
}

/// What a run's `ps_address` may hold: one address, or one per shard.
@Suite struct ServerAddressListTests {
    @Test func oneAddressPerShardInOrder() {
        #expect(ServerAddress.list("127.0.0.1:7070") == [ServerAddress("127.0.0.1:7070")!])
        let shards = ServerAddress.list("a:1, b:2,[::1]:3")
        #expect(shards?.map(\.host) == ["a", "b", "::1"] && shards?.map(\.port) == [1, 2, 3])
        #expect(ServerAddress.list("a:1,,b:2") == nil)
        #expect(ServerAddress.list("a:1,b") == nil)
        #expect(ServerAddress.list("") == nil)
    }
}
