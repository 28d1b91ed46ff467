// A worker's training session driven in process: the real `RunSession` (replica, codec,
// error-feedback residual, pull rule) against a real `ParameterServerCore` through an
// `InProcessLink`, no sockets and no database.
import Coordinator
import Foundation
import Store
import Testing
import TestSupport
import TextImages
import Training
import Wire
@testable import Worker

@Suite struct RunSessionTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    static let fonts = try! FontSet.load(data: DataDirectory(path: repositoryRoot + "/data"))

    /// The demo's recipe with short lines; `extra` adds config lines (a `pulls:` section).
    static func recipe(model: String = "tiny", codec: String = "fp16+zstd", extra: String = "") throws -> RunRecipe {
        let yaml = """
            model: \(model)
            charset: digits
            image: {height: 32, width: 64}
            data: {synthetic: {samples_per_epoch: 3200}}
            batch_size: 16
            optimizer: {type: adam, lr: 0.002}
            gradients: {codec: \(codec)}
            staleness: {bound: 2, policy: refuse}
            seed: 5
            """ + (extra.isEmpty ? "" : "\n" + extra)
        let config = try RunConfigParser().parse(yaml: yaml, file: "session.yaml", baseDirectory: "/tmp")
        return try RunRecipe(run: 1, config: config, characters: try Charset.preset("digits").characters)
    }

    static func server(_ recipe: RunRecipe) -> ParameterServerCore {
        let model = recipe.makeModel(threads: 1)
        return ParameterServerCore(
            model: model, optimizer: recipe.makeOptimizer(layout: model.parameters.layout), schedule: recipe.schedule,
            staleness: StalenessRule(bound: recipe.config.staleness.bound, policy: recipe.config.staleness.policy),
            mode: recipe.config.sync, samplesPerEpoch: recipe.config.samplesPerEpoch,
            maxSamplesPerPush: recipe.config.batchSize)
    }

    /// Batch `index` of the run's synthetic stream.
    static func batch(_ recipe: RunRecipe, _ source: SyntheticSource, index: Int) -> (images: [Float], labels: [[Int]]) {
        let size = recipe.config.batchSize
        var images = [Float](repeating: 0, count: size * recipe.floatsPerImage)
        let labels = images.withUnsafeMutableBufferPointer {
            RunRecipe.render(source, seed: 1, indices: UInt64(index * size)..<UInt64((index + 1) * size), into: $0.baseAddress!)
        }
        return (images, labels)
    }

    @Test func aSessionPullsTrainsAndPushesEveryMinibatch() async throws {
        let recipe = try Self.recipe()
        let core = Self.server(recipe)
        defer { core.stop() }
        let session = try RunSession(recipe: recipe, fonts: Self.fonts, client: InProcessLink(core: core, codec: try recipe.makeCodec()),
                                     threads: 1, overlapPulls: false)
        try await session.pull()
        #expect(session.version == 0 && session.bytesPulled > 0)
        // The replica now holds the server's parameters exactly.
        #expect(core.withExclusiveModel { model, _ in model.parameters.values } == session.model.parameters.values)
        var losses: [Float] = []
        for index in 0..<30 {
            let (images, labels) = Self.batch(recipe, session.source, index: index)
            let (loss, ack) = try await session.step(images: images, labels: labels)
            #expect(ack.status == .applied && ack.newVersion == UInt64(index + 1), "\(ack)")
            losses.append(loss)
        }
        #expect(core.version == 30 && core.samplesApplied == 30 * 16)
        // One worker alone is never stale; bound 2 pulls every 1 version, so it follows the server.
        #expect(session.version >= 29)
        #expect(session.bytesPushed > 0 && session.bytesPushed < 30 * 4 * core.wireCount, "fp16 pushes are compressed")
        #expect(losses.suffix(5).reduce(0, +) < losses.prefix(5).reduce(0, +), "the loss falls: \(losses)")
    }

    @Test func aRefusedStalePushMakesTheSessionPullAndContinue() async throws {
        let recipe = try Self.recipe()
        let core = Self.server(recipe)
        defer { core.stop() }
        let codec = try recipe.makeCodec()
        let slow = try RunSession(recipe: recipe, fonts: Self.fonts, client: InProcessLink(core: core, codec: codec),
                                  threads: 1, overlapPulls: false)
        let fast = try RunSession(recipe: recipe, fonts: Self.fonts, client: InProcessLink(core: core, codec: codec),
                                  threads: 1, overlapPulls: false)
        try await slow.pull()
        try await fast.pull()
        // The fast worker moves the server 3 versions past the slow one's replica (bound 2: refused).
        for index in 0..<3 {
            let (images, labels) = Self.batch(recipe, fast.source, index: index)
            _ = try await fast.step(images: images, labels: labels)
        }
        #expect(slow.version == 0 && core.version == 3)
        let (images, labels) = Self.batch(recipe, slow.source, index: 3)
        let (_, refused) = try await slow.step(images: images, labels: labels)
        #expect(refused.status == .refused && refused.staleness == 3 && refused.reason.contains("stale"))
        #expect(slow.version == 3, "a refused push is followed by a pull")
        let (_, applied) = try await slow.step(images: images, labels: labels)
        #expect(applied.status == .applied && core.version == 4)
    }

    @Test func aSessionRefusesAServerWithAnotherModelAndABrokenBatch() async throws {
        let recipe = try Self.recipe()
        let other = try Self.recipe(model: "mini")
        let core = Self.server(other)
        defer { core.stop() }
        #expect {
            try RunSession(recipe: recipe, fonts: Self.fonts, client: InProcessLink(core: core, codec: try recipe.makeCodec()), threads: 1)
        } throws: { "\($0)".contains("this worker's model has") }

        let same = Self.server(recipe)
        defer { same.stop() }
        let session = try RunSession(recipe: recipe, fonts: Self.fonts, client: InProcessLink(core: same, codec: try recipe.makeCodec()),
                                     threads: 1, overlapPulls: false)
        try await session.pull()
        var (images, labels) = Self.batch(recipe, session.source, index: 0)
        images[7] = .nan
        await #expect {
            _ = try await session.step(images: images, labels: labels)
        } throws: { error in
            guard let error = error as? WorkerError else { return false }
            return error.spendsAnAttempt && "\(error)".contains("not finite")
        }
        #expect(same.version == 0, "nothing was pushed")
    }
}
