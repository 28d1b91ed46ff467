// Exact resume (issue 12, item 10): N steps, a checkpoint with the training state, a fresh model
// and optimiser built from its bytes alone, M more steps: the same parameters, bit for bit, as
// N + M steps without the checkpoint. One thread, Adam with weight decay, and a warm-up into a
// cosine schedule counted in samples, so the moments, the step count and the schedule's
// position all change what the later steps do.
import Foundation
import Testing
@testable import Engine

@Suite struct ExactResumeTests {
    static let batch = 4, samplesPerEpoch = 16
    static let schedule = LearningRateSchedule(baseRate: 0.01, decay: .cosine(epochs: 3, floor: 0.1), warmupEpochs: 1)
    static let data = LearningTests.dataset(count: 32, seed: 5)

    /// One step on batch `index` of `data` at the schedule's rate for `samples` applied.
    static func step(_ model: CRNNModel, _ optimizer: any Optimizer, batch index: Int, samples: Int) throws {
        let first = (index * batch) % data.labels.count, floats = 32 * LearningTests.width
        let images = Array(data.images[(first * floats)..<((first + batch) * floats)])
        try model.trainStep(images: images, targets: Array(data.labels[first..<(first + batch)]))
        let rate = schedule.rate(atEpoch: Double(samples) / Double(samplesPerEpoch))
        optimizer.step(parameters: model.parameters, gradients: model.gradients, learningRate: rate)
    }

    static func makeModel() -> CRNNModel {
        CRNNModel(config: ModelPreset.tiny.config(classes: LearningTests.classes), seed: 11, threads: 1)
    }

    /// Steps `range` from the given state; returns the samples applied after them.
    static func train(_ model: CRNNModel, _ optimizer: any Optimizer, _ range: Range<Int>, samples: Int) throws -> Int {
        var samples = samples
        for index in range {
            try step(model, optimizer, batch: index, samples: samples)
            samples += batch
        }
        return samples
    }

    /// The model and optimiser as a fresh process builds them from checkpoint bytes, and the
    /// samples applied (0 when the checkpoint holds no training state: what version 1 resumed).
    static func restore(_ bytes: [UInt8]) throws -> (CRNNModel, Adam, samples: Int) {
        let checkpoint = try Checkpoint.decode(bytes, source: "resume.crnn")
        let model = CRNNModel(checkpoint: checkpoint, threads: 1)
        let optimizer = Adam(layout: model.parameters.layout, weightDecay: 1e-4)
        if let training = checkpoint.training { try optimizer.restore(training) }
        return (model, optimizer, checkpoint.training?.samplesApplied ?? 0)
    }

    @Test func adamWithAScheduleResumesBitForBit() throws {
        let (n, m) = (5, 4)
        let straight = Self.makeModel()
        let straightOptimizer = Adam(layout: straight.parameters.layout, weightDecay: 1e-4)
        _ = try Self.train(straight, straightOptimizer, 0..<(n + m), samples: 0)

        let first = Self.makeModel()
        let firstOptimizer = Adam(layout: first.parameters.layout, weightDecay: 1e-4)
        let samples = try Self.train(first, firstOptimizer, 0..<n, samples: 0)
        let checkpoint = first.checkpoint(preset: "tiny", charset: ["a", "b", "c", "d"], imageHeight: 32,
                                          imageWidth: LearningTests.width, step: n,
                                          training: firstOptimizer.trainingState(samplesApplied: samples))
        let bytes = try checkpoint.encoded()
        #expect(bytes[8] == 2, "a checkpoint with training state is format version 2")

        let (resumed, optimizer, restoredSamples) = try Self.restore(bytes)
        #expect(restoredSamples == n * Self.batch && optimizer.stepCount == n)
        _ = try Self.train(resumed, optimizer, n..<(n + m), samples: restoredSamples)
        #expect(resumed.parameters.values.map(\.bitPattern) == straight.parameters.values.map(\.bitPattern))
        #expect(resumed.buffers.values.map(\.bitPattern) == straight.buffers.values.map(\.bitPattern))
        #expect(optimizer.expAvgSq.values.map(\.bitPattern) == straightOptimizer.expAvgSq.values.map(\.bitPattern))

        // What a version 1 checkpoint resumed: fresh moments, the schedule from its start. The
        // comparison above can tell the difference.
        var modelOnly = checkpoint
        modelOnly.training = nil
        let (restarted, freshOptimizer, freshSamples) = try Self.restore(try modelOnly.encoded())
        _ = try Self.train(restarted, freshOptimizer, n..<(n + m), samples: freshSamples)
        #expect(restarted.parameters.values != straight.parameters.values)
    }

    @Test func sgdAndAdadeltaStateRoundTrips() throws {
        let model = Self.makeModel()
        let layout = model.parameters.layout
        for optimizer in [SGD(layout: layout, momentum: 0.9), Adadelta(layout: layout)] as [any Optimizer] {
            _ = try Self.train(model, optimizer, 0..<2, samples: 0)
            let checkpoint = model.checkpoint(preset: nil, charset: [], imageHeight: 32, imageWidth: LearningTests.width,
                                              step: 2, training: optimizer.trainingState(samplesApplied: 8))
            let decoded = try Checkpoint.decode(try checkpoint.encoded(), source: "state.crnn")
            #expect(decoded == checkpoint)
            let fresh: any Optimizer = optimizer is SGD ? SGD(layout: layout, momentum: 0.9) : Adadelta(layout: layout)
            try fresh.restore(try #require(decoded.training))
            #expect(fresh.stepCount == 2 && fresh.state.map(\.values) == optimizer.state.map(\.values))
        }
    }

    @Test func restoringAnotherOptimizersStateIsRefused() throws {
        let model = Self.makeModel()
        let adam = Adam(layout: model.parameters.layout)
        let sgd = SGD(layout: model.parameters.layout)
        #expect(throws: TrainingStateMismatch.self) { try sgd.restore(adam.trainingState(samplesApplied: 0)) }
        var short = adam.trainingState(samplesApplied: 0)
        short.state[1].removeLast()
        #expect(throws: TrainingStateMismatch(reason: "exp_avg_sq has \(model.parameterCount - 1) values, the parameters \(model.parameterCount)")) {
            try adam.restore(short)
        }
    }
}
