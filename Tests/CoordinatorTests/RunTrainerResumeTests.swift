// Exact resume at the parameter server (issue 12, item 10): a run trainer restored from the
// checkpoint its own validation wrote continues the version, the samples applied (the schedule's
// position) and the optimiser's moments, so the same pushes give the same parameters, bit for
// bit, as on a trainer that never stopped. And a restarted run's steps never go back.
import Engine
import Foundation
import Store
import Testing
import TextImages
import Training
import Wire
@testable import Coordinator

@Suite struct RunTrainerResumeTests {
    /// Adam with weight decay, a warm-up into a cosine schedule over few
    /// samples: every push moves the rate, so the samples applied matter as much as the moments.
    static func recipe() throws -> RunRecipe {
        let yaml = """
            model: tiny
            charset: digits
            image: {height: 32, width: 64}
            data: {synthetic: {samples_per_epoch: 32}}
            epochs: 4
            batch_size: 8
            shard_size: 8
            optimizer: {type: adam, lr: 0.01, weight_decay: 0.0001}
            schedule: {type: cosine, warmup: 1, final: 0.1}
            validation: {size: 8, every: 1000}
            seed: 7
            """
        let config = try RunConfigParser().parse(yaml: yaml, file: "resume.yaml", baseDirectory: "/tmp")
        return try RunRecipe(run: 1, config: config, characters: (0...9).map(String.init))
    }

    static let fonts = Result { try FontSet.load(data: DataDirectory(path: InitialCheckpointTests.root + "/data")) }

    /// Push `index`: a deterministic pseudo-random gradient over the wire arena (parameters and
    /// a small running-statistics change), losslessly encoded.
    static func push(_ index: Int, into trainer: RunTrainer) throws -> PushOutcome {
        let core = trainer.parameters.lead
        var rng = SplitMix64(seed: UInt64(100 + index))
        let values = (0..<core.wireCount).map { i in
            Float(Int(rng.next() % 2001) - 1000) * (i < core.parameterCount ? 1e-3 : 1e-5)
        }
        let bytes = try FP32ZstdCodec().encode(values, layout: core.wireLayout)
        return try bytes.withUnsafeBytes {
            try core.apply(payload: $0, codec: FP32ZstdCodec(), baseVersion: core.version, sampleCount: 8)
        }
    }

    static func trainer(resumeFrom checkpoint: Checkpoint?, lastRecordedStep: Int64? = nil) throws -> RunTrainer {
        try RunTrainer(recipe: try recipe(), fonts: try fonts.get(), threads: 1, resumeFrom: checkpoint,
                       lastRecordedStep: lastRecordedStep)
    }

    func bits(_ trainer: RunTrainer) -> [UInt32] {
        (trainer.parameters.lead.model.parameters.values + trainer.parameters.lead.model.buffers.values).map(\.bitPattern)
    }

    @Test func aTrainerRestoredFromItsCheckpointContinuesBitForBit() throws {
        let (n, m) = (4, 5)
        let straight = try Self.trainer(resumeFrom: nil)
        defer { straight.parameters.lead.stop() }
        for index in 0..<n { #expect(try Self.push(index, into: straight).applied) }
        let (version, _, file) = try straight.validate()
        #expect(version == UInt64(n) && file[8] == 2, "the coordinator's checkpoint is format version 2")
        for index in n..<(n + m) { _ = try Self.push(index, into: straight) }

        let checkpoint = try Checkpoint.decode(file, source: "latest")
        let resumed = try Self.trainer(resumeFrom: checkpoint)
        defer { resumed.parameters.lead.stop() }
        #expect(resumed.parameters.lead.version == UInt64(n))
        #expect(resumed.parameters.lead.samplesApplied == 8 * n)
        #expect(resumed.parameters.lead.optimizer.stepCount == n)
        for index in n..<(n + m) { _ = try Self.push(index, into: resumed) }
        #expect(resumed.parameters.lead.version == straight.parameters.lead.version)
        #expect(resumed.parameters.lead.samplesApplied == straight.parameters.lead.samplesApplied)
        #expect(resumed.parameters.lead.learningRate == straight.parameters.lead.learningRate)
        #expect(bits(resumed) == bits(straight), "the same pushes give the same parameters")

        // Resumed the way a version 1 checkpoint was (parameters and version only), it drifts:
        // the comparison above can fail.
        var modelOnly = checkpoint
        modelOnly.training = nil
        let restarted = try Self.trainer(resumeFrom: modelOnly)
        defer { restarted.parameters.lead.stop() }
        #expect(restarted.parameters.lead.samplesApplied == 0)
        for index in n..<(n + m) { _ = try Self.push(index, into: restarted) }
        #expect(bits(restarted) != bits(straight))
    }

    @Test func stepsRecordedPastTheCheckpointAreNotReused() throws {
        #expect(RunTrainer.resumedVersion(checkpointStep: 40, lastRecordedStep: nil) == 40)
        #expect(RunTrainer.resumedVersion(checkpointStep: 40, lastRecordedStep: 40) == 40, "nothing lost: exactly where it was")
        #expect(RunTrainer.resumedVersion(checkpointStep: 40, lastRecordedStep: 12) == 40)
        #expect(RunTrainer.resumedVersion(checkpointStep: 40, lastRecordedStep: 57) == 58)
        #expect(RunTrainer.resumedVersion(checkpointStep: 0, lastRecordedStep: 9) == 10, "no checkpoint yet")

        let straight = try Self.trainer(resumeFrom: nil)
        defer { straight.parameters.lead.stop() }
        for index in 0..<2 { _ = try Self.push(index, into: straight) }
        let file = try straight.validate().checkpoint
        let resumed = try Self.trainer(resumeFrom: try Checkpoint.decode(file, source: "latest"), lastRecordedStep: 6)
        defer { resumed.parameters.lead.stop() }
        #expect(resumed.parameters.lead.version == 7 && resumed.parameters.lead.samplesApplied == 16)
        let outcome = try Self.push(2, into: resumed)
        #expect(outcome.applied && outcome.newVersion == 8)
        resumed.recordPush(bytes: 100, samples: 8, loss: 1, outcome: outcome)
        let metrics = resumed.drainMetrics()
        #expect(!metrics.isEmpty && metrics.allSatisfy { $0.step == 8 })
    }

    @Test func anotherOptimizersStateFailsTheResumeNamingWhy() throws {
        let straight = try Self.trainer(resumeFrom: nil)
        defer { straight.parameters.lead.stop() }
        _ = try Self.push(0, into: straight)
        var checkpoint = try Checkpoint.decode(try straight.validate().checkpoint, source: "latest")
        let layout = straight.parameters.lead.model.parameters.layout
        checkpoint.training = SGD(layout: layout, momentum: 0.9).trainingState(samplesApplied: 8)
        #expect(throws: TrainingStateMismatch.self) { _ = try Self.trainer(resumeFrom: checkpoint) }
    }
}
