// Delta pulls (issue 17) through a worker's real `RunSession` and an in-process parameter server:
// the replica follows the server's published chain bit for bit, an exact resync makes it equal
// to the server's parameters bit for bit, and impossible pulls are refused.
import Coordinator
import Foundation
import NIOCore
import Store
import Testing
import TestSupport
import TextImages
import Training
import Wire
@testable import Worker

@Suite struct DeltaPullTests {
    /// RunSessionTests' recipe with delta pulls: top-k 5 %, a new chain every 4 publications.
    static func recipe() throws -> RunRecipe {
        try RunSessionTests.recipe(extra: "pulls: {codec: topk+fp16+zstd, k: 0.05, resync_every: 4}")
    }

    static func arena(_ core: ParameterServerCore) -> [Float] {
        core.withExclusiveModel { model, _ in model.parameters.values + model.buffers.values }
    }

    static func arena(_ session: RunSession) -> [Float] {
        session.model.parameters.values + session.model.buffers.values
    }

    static func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    @Test func theReplicaFollowsThePublishedChainAndAResyncMakesItTheServers() async throws {
        let recipe = try Self.recipe()
        let core = RunSessionTests.server(recipe)
        defer { core.stop() }
        let link = InProcessLink(core: core, codec: try recipe.makeCodec(), pullPolicy: try recipe.makePullPolicy(),
                                 reuseRecentPulls: false)
        #expect(link.welcome.pullCodecName == "topk+fp16+zstd")
        let session = try RunSession(recipe: recipe, fonts: RunSessionTests.fonts, client: link, threads: 1,
                                     overlapPulls: false)
        try await session.pull()
        #expect(Self.bits(Self.arena(session)) == Self.bits(Self.arena(core)), "the first pull is the exact anchor")
        let full = session.bytesPulled
        var deltaBytes = 0, deltaPulls = 0, identical: [UInt64] = [], differing = 0
        for index in 0..<12 {
            let (images, labels) = RunSessionTests.batch(recipe, session.source, index: index)
            let (anchorsBefore, bytesBefore) = (session.anchorsInstalled, session.bytesPulled)
            let (_, ack) = try await session.step(images: images, labels: labels)
            #expect(ack.status == .applied, "\(ack)")
            // Bound 2: the session pulled after its push, and holds the newest publication.
            let publication = try #require(link.pullAnswers.publication)
            #expect(session.version == core.version && publication.version == core.version)
            #expect(Self.bits(Self.arena(session)) == Self.bits(publication.values),
                    "version \(core.version): the replica is the published arena, bit for bit")
            if session.anchorsInstalled > anchorsBefore {
                #expect(publication.anchorVersion == core.version)
                #expect(Self.bits(Self.arena(session)) == Self.bits(Self.arena(core)),
                        "version \(core.version): after a resync the replica is the server's arena, bit for bit")
                identical.append(core.version)
            } else {
                deltaBytes += session.bytesPulled - bytesBefore
                deltaPulls += 1
                if Self.arena(session) != Self.arena(core) { differing += 1 }
            }
        }
        // A new chain every 4 publications: versions 1–4 published on the first chain (anchor 0),
        // 5 is a new anchor, 6–9 publications, 10 an anchor, 11–12 publications.
        #expect(identical == [5, 10])
        #expect(session.anchorsInstalled == 3)
        #expect(differing > 0, "top-k publications leave part of the change on the server")
        #expect(deltaPulls == 10 && deltaBytes * 5 < deltaPulls * full,
                "\(deltaBytes / max(1, deltaPulls)) B per delta pull against \(full) B for the whole arena")
    }

    @Test func impossiblePullsAreRefusedAndStaleAnchorsResync() async throws {
        let recipe = try Self.recipe()
        let core = RunSessionTests.server(recipe)
        defer { core.stop() }
        let link = InProcessLink(core: core, codec: try recipe.makeCodec(), pullPolicy: try recipe.makePullPolicy(),
                                 reuseRecentPulls: false)
        let session = try RunSession(recipe: recipe, fonts: RunSessionTests.fonts, client: link, threads: 1,
                                     overlapPulls: false)
        try await session.pull()
        for index in 0..<2 {
            let (images, labels) = RunSessionTests.batch(recipe, session.source, index: index)
            _ = try await session.step(images: images, labels: labels)
        }
        #expect(core.version == 2)
        // A version or an anchor from the future: refused, naming both versions; the server still answers.
        for (since, anchor) in [(UInt64(9), UInt64(0)), (UInt64(1), UInt64(7))] {
            await #expect {
                _ = try await link.pull(sinceVersion: since, anchorVersion: anchor)
            } throws: { error in
                "\(error)".contains("this server is at version 2")
            }
        }
        // On the chain: the publications since the one held. No anchor, or another one: the
        // anchor and every publication since it. Current: unchanged.
        let onChain = try await link.pull(sinceVersion: 1, anchorVersion: 0)
        #expect(onChain.encoding == .delta && onChain.increments.count == 1 && onChain.version == 2)
        let fresh = try await link.pull(sinceVersion: Pull.none, anchorVersion: Pull.none)
        #expect(fresh.encoding == .anchorAndDelta && fresh.anchorVersion == 0 && fresh.increments.count == 2)
        let otherChain = try await link.pull(sinceVersion: 1, anchorVersion: 1)
        #expect(otherChain.encoding == .anchorAndDelta && otherChain.increments.count == 2)
        #expect(try await link.pull(sinceVersion: 2, anchorVersion: 0).encoding == .unchanged)

        // A session whose server sends a delta on an anchor it does not hold stops with a clear error.
        let stranger = Params(version: 2, encoding: .delta, anchorVersion: 1, increments: [onChain.increments[0]])
        #expect {
            try session.install(stranger)
        } throws: { error in
            "\(error)".contains("delta against anchor 1, this worker holds 0")
        }
    }
}
