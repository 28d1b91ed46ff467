// How pushes become optimiser steps in the core (locks, optimiser thread, arithmetic): the
// asynchronous mode averages the pushes that arrive while a step runs into the next one; the
// synchronous mode waits at a barrier for its workers. The rules themselves, with the clock
// passed in, are UpdatePolicyTests'; nothing here sleeps to show that something did not happen.
import Engine
import Foundation
import Testing
import Wire
@testable import Coordinator

@Suite struct UpdateModeTests {
    let tinyConfig = ModelConfig(channels: [4, 8, 8, 8, 8, 8, 8], head: .gru, hidden: 4, classes: 5)

    func makeCore(mode: UpdateMode, barrierTimeout: Double = 60, lr: Float = 1) -> ParameterServerCore {
        let model = CRNNModel(config: tinyConfig, seed: 3)
        return ParameterServerCore(
            model: model, optimizer: SGD(layout: model.parameters.layout),
            schedule: LearningRateSchedule(baseRate: lr),
            staleness: StalenessRule(bound: 100, policy: .refuse), mode: mode,
            barrierTimeout: barrierTimeout, samplesPerEpoch: 1_000_000)
    }

    /// A wire gradient with every parameter entry `g` and every running-statistic entry `d`.
    func payload(_ core: ParameterServerCore, g: Float, d: Float = 0) throws -> [UInt8] {
        let values = [Float](repeating: g, count: core.parameterCount)
            + [Float](repeating: d, count: core.wireCount - core.parameterCount)
        return try FP32ZstdCodec().encode(values, layout: core.wireLayout)
    }

    /// Submits without waiting; the outcome lands in the returned box.
    func submit(_ core: ParameterServerCore, _ bytes: [UInt8], base: UInt64) throws -> Outcomes {
        let outcomes = Outcomes()
        try bytes.withUnsafeBytes {
            try core.submit(payload: $0, codec: FP32ZstdCodec(), baseVersion: base, sampleCount: 4) {
                outcomes.add($0)
            }
        }
        return outcomes
    }

    @Test func synchronousStepWaitsForEveryWorkerThenAppliesTheMean() throws {
        let core = makeCore(mode: .synchronous(workers: 2))
        defer { core.stop() }
        let before = core.model.parameters.values, statsBefore = core.model.buffers.values
        let first = try submit(core, try payload(core, g: 0.2, d: 0.5), base: 0)
        // One of two workers has pushed: the policy holds the barrier (for 60 s), so nothing can
        // have been stepped whenever this runs.
        #expect(first.all.isEmpty && core.version == 0)
        let second = try submit(core, try payload(core, g: 0.4, d: 0.1), base: 0)
        #expect(first.wait()?.newVersion == 1 && second.wait()?.newVersion == 1)
        #expect(first.all.first?.applied == true && second.all.first?.applied == true)
        // One SGD step (lr 1) with the mean gradient 0.3; the statistics move by the mean change 0.3.
        #expect(zip(before, core.model.parameters.values).allSatisfy { abs(($0 - 0.3) - $1) < 1e-5 })
        #expect(zip(statsBefore, core.model.buffers.values).allSatisfy { abs(($0 + 0.3) - $1) < 1e-5 })
        #expect(core.samplesApplied == 8)
    }

    @Test func synchronousModeRefusesAPushOnAnOlderVersion() throws {
        let core = makeCore(mode: .synchronous(workers: 1))
        defer { core.stop() }
        let bytes = try payload(core, g: 0.01)
        #expect(try submit(core, bytes, base: 0).wait()?.newVersion == 1)
        let stale = try submit(core, bytes, base: 0).wait()
        #expect(stale?.applied == false && stale?.staleness == 1)
        #expect(stale?.reason.contains("pull") == true)
        #expect(core.version == 1)
    }

    @Test func synchronousBarrierCountsTheWorkersTrainingAndTimesOut() throws {
        let everyone = makeCore(mode: .synchronous(workers: nil))
        defer { everyone.stop() }
        everyone.setWorkersTraining(3)
        let bytes = try payload(everyone, g: 0.01)
        let a = try submit(everyone, bytes, base: 0), b = try submit(everyone, bytes, base: 0)
        #expect(a.all.isEmpty && b.all.isEmpty && everyone.version == 0, "two of three: the barrier holds")
        everyone.setWorkersTraining(2)  // the third worker's shard was given back
        #expect(a.wait()?.newVersion == 1 && b.wait()?.newVersion == 1)

        let patient = makeCore(mode: .synchronous(workers: 4), barrierTimeout: 0.3)
        defer { patient.stop() }
        patient.setWorkersTraining(4)
        let alone = try submit(patient, try payload(patient, g: 0.01), base: 0)
        let outcome = alone.wait(seconds: 10)
        #expect(outcome?.applied == true && outcome?.newVersion == 1, "the barrier timed out and stepped")
    }

    @Test func asynchronousPushesArrivingTogetherAreAveragedNeverLost() async throws {
        let core = makeCore(mode: .asynchronous, lr: 0.01)
        defer { core.stop() }
        let before = core.model.parameters.values
        let bytes = try payload(core, g: 0.5)
        let outcomes = try await withThrowingTaskGroup(of: PushOutcome.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    try await bytes.withUnsafeBytes { raw in
                        try core.apply(payload: raw, codec: FP32ZstdCodec(), baseVersion: 0, sampleCount: 4)
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.count == 16 && outcomes.allSatisfy(\.applied))
        #expect(core.samplesApplied == 64, "every push's samples count")
        let steps = Int(core.version)
        #expect(steps >= 1 && steps <= 16)
        #expect(Set(outcomes.map(\.newVersion)).count == steps, "each step answers the pushes it holds")
        // Every step is the mean of identical gradients: parameters moved by steps × lr × 0.5.
        let moved = Float(steps) * 0.01 * 0.5
        #expect(zip(before, core.model.parameters.values).allSatisfy { abs(($0 - moved) - $1) < 1e-4 })
    }

    @Test func stoppingAnswersWaitingPushesAsRefused() throws {
        let core = makeCore(mode: .synchronous(workers: 2))
        let waiting = try submit(core, try payload(core, g: 0.01), base: 0)
        core.stop()
        let outcome = waiting.wait()
        #expect(outcome?.applied == false && outcome?.reason.contains("no longer") == true)
        let late = try submit(core, try payload(core, g: 0.01), base: 0).wait()
        #expect(late?.applied == false)
        #expect(core.version == 0)
    }
}

/// Outcomes delivered on the optimiser thread, read by the test.
final class Outcomes: @unchecked Sendable {
    private let condition = NSCondition()
    private var received: [PushOutcome] = []

    func add(_ outcome: PushOutcome) { condition.withLock { received.append(outcome); condition.broadcast() } }
    var all: [PushOutcome] { condition.withLock { received } }

    /// The first outcome, waiting up to `seconds` for it.
    func wait(seconds: Double = 10) -> PushOutcome? {
        condition.withLock {
            let deadline = Date(timeIntervalSinceNow: seconds)
            while received.isEmpty && condition.wait(until: deadline) {}
            return received.first
        }
    }
}
