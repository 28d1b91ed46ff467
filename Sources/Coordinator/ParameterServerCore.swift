// The arithmetic of the asynchronous parameter server for one run, with no network and no
// database: a version counter, the parameter and optimiser arenas, the locks and the optimiser
// thread. The rules (which push is taken, when a step is due) are `UpdatePolicy`'s.
//
// Shapes: the wire arena is [P + B]: the P parameter values followed by the B batch-norm running
// statistics. A push carries d loss / d θ for the first P entries and the change the worker's
// forward passes made to the running statistics for the last B (see docs/protocol.md).
import Engine
import Foundation
import NIOCore
import Training
import Wire

/// What became of one push.
public struct PushOutcome: Sendable, Equatable {
    public var applied: Bool
    public var newVersion: UInt64
    public var staleness: Int
    public var weight: Float
    public var reason: String
}

/// The arenas one parameter server steps: a whole model's, or one range's (a shard of a run).
public struct ServedArenas: @unchecked Sendable {
    /// The range's parameters (stepped by the optimiser), their gradient, its running statistics.
    public let parameters: ParameterArena
    public let gradients: ParameterArena
    public let buffers: ParameterArena

    /// Wire values: parameters, then running statistics.
    public var wireValues: [Float] { parameters.values + buffers.values }
}

/// One run's parameters and optimiser, or one range of them (a shard: `range`). Thread-safe: any
/// number of connections submit pushes; each is decoded into the pending update as it arrives, and
/// the run's optimiser thread turns the pending update into one optimiser step whenever the mode
/// says it is due.
public final class ParameterServerCore: @unchecked Sendable {
    /// The run's model, when this core serves the whole arena (a shard's core has none: the run's
    /// model is the shards' ranges gathered, `ShardedParameters`).
    public var model: CRNNModel {
        guard let whole else { preconditionFailure("the core of \(range) has no model; gather the shards") }
        return whole
    }
    private let whole: CRNNModel?
    /// What this core serves: the whole wire arena, or one shard's range of it.
    public let range: ArenaRange
    public let served: ServedArenas
    public let optimizer: any Optimizer
    public let schedule: LearningRateSchedule
    public let policy: UpdatePolicy
    public var mode: UpdateMode { policy.mode }
    /// Global gradient-norm clip applied before every step (0 = off).
    public let clipNorm: Float
    /// Samples per schedule unit (an epoch), to turn applied samples into the schedule's step.
    public let samplesPerEpoch: Int

    /// Guards the model and the optimiser (steps, snapshots, validation copies).
    private let modelLock = NSLock()
    /// Guards everything below; the optimiser thread waits on it. Order: modelLock, then queue.
    private let queue = NSCondition()
    private var currentVersion: UInt64
    private var applied = 0
    private var pending: PendingUpdate
    /// A second arena, swapped in when the optimiser thread takes the pending update (its
    /// first push overwrites it).
    private var spare: [Float]
    /// Workers holding a shard of the run, as the coordinator last counted (nil: not counted yet).
    private var workersTraining: Int?
    private var stopped = false

    /// Told the seconds of every optimiser step taken (metrics).
    private let onStep: (@Sendable (Double) -> Void)?
    /// The optimiser threads this core shares with the other shards of its process (nil: a thread of its own).
    private let stepper: ShardStepper?

    /// Parameter tensor sizes followed by buffer tensor sizes: the layout codecs see.
    public var wireLayout: [Int] { range.pieces }
    public var parameterCount: Int { range.parameterCount }
    public var wireCount: Int { range.count }

    /// A core serving `model`'s whole wire arena (its own arenas: validation and checkpoints read the model).
    public convenience init(model: CRNNModel, optimizer: any Optimizer, schedule: LearningRateSchedule,
                            staleness: StalenessRule, mode: UpdateMode = .asynchronous, barrierTimeout: Double = 60,
                            clipNorm: Float = 0, samplesPerEpoch: Int, version: UInt64 = 0, samplesApplied: Int = 0,
                            maxSamplesPerPush: Int = .max, onStep: (@Sendable (Double) -> Void)? = nil) {
        self.init(whole: model, range: ArenaRanges.whole(model),
                  served: ServedArenas(parameters: model.parameters, gradients: model.gradients, buffers: model.buffers),
                  optimizer: optimizer, schedule: schedule, staleness: staleness, mode: mode,
                  barrierTimeout: barrierTimeout, clipNorm: clipNorm, samplesPerEpoch: samplesPerEpoch, version: version,
                  samplesApplied: samplesApplied, maxSamplesPerPush: maxSamplesPerPush, stepper: nil, onStep: onStep)
    }

    /// A core serving one shard: `range` of `wire` (the run's wire arena, whose values it copies).
    /// `optimizer` follows `range.parameterLayout`. Clipping by the global norm needs every shard's
    /// gradient, so a shard does not clip.
    public convenience init(range: ArenaRange, wire: [Float], optimizer: any Optimizer, schedule: LearningRateSchedule,
                            staleness: StalenessRule, mode: UpdateMode = .asynchronous, barrierTimeout: Double = 60,
                            samplesPerEpoch: Int, version: UInt64 = 0, samplesApplied: Int = 0,
                            maxSamplesPerPush: Int = .max, stepper: ShardStepper? = nil,
                            onStep: (@Sendable (Double) -> Void)? = nil) {
        precondition(range.upper <= wire.count, "\(range) lies outside a wire arena of \(wire.count) values")
        let served = ServedArenas(parameters: ParameterArena(layout: range.parameterLayout),
                                  gradients: ParameterArena(layout: range.parameterLayout),
                                  buffers: ParameterArena(layout: range.bufferLayout))
        let split = range.lower + range.parameterCount
        served.parameters.load(Array(wire[range.lower..<split]))
        served.buffers.load(Array(wire[split..<range.upper]))
        self.init(whole: nil, range: range, served: served, optimizer: optimizer, schedule: schedule,
                  staleness: staleness, mode: mode, barrierTimeout: barrierTimeout, clipNorm: 0,
                  samplesPerEpoch: samplesPerEpoch, version: version, samplesApplied: samplesApplied,
                  maxSamplesPerPush: maxSamplesPerPush, stepper: stepper, onStep: onStep)
    }

    private init(whole: CRNNModel?, range: ArenaRange, served: ServedArenas, optimizer: any Optimizer,
                 schedule: LearningRateSchedule, staleness: StalenessRule, mode: UpdateMode, barrierTimeout: Double,
                 clipNorm: Float, samplesPerEpoch: Int, version: UInt64, samplesApplied: Int,
                 maxSamplesPerPush: Int, stepper: ShardStepper?, onStep: (@Sendable (Double) -> Void)?) {
        precondition(optimizer.state.allSatisfy { $0.count == served.parameters.count },
                     "the optimiser's state does not follow the served parameters")
        self.onStep = onStep
        self.stepper = stepper
        self.whole = whole
        self.range = range
        self.served = served
        self.optimizer = optimizer
        self.schedule = schedule
        policy = UpdatePolicy(staleness: staleness, mode: mode, barrierTimeout: barrierTimeout,
                              maxSamplesPerPush: maxSamplesPerPush)
        self.clipNorm = clipNorm
        self.samplesPerEpoch = max(1, samplesPerEpoch)
        currentVersion = version
        applied = max(0, samplesApplied)
        let count = range.count
        pending = PendingUpdate(sum: [Float](repeating: 0, count: count))
        spare = [Float](repeating: 0, count: count)
        if let stepper {
            stepper.add(self)
        } else {
            startPosixThread(name: "crnn-optimizer") { [weak self] in
                while let core = self, core.stepWhenDue(wait: 0.2) {}
            }
        }
    }

    deinit { failWaiters(pending.waiters) }

    /// The tensor sizes of `model`'s wire arena (parameters, then running statistics).
    public static func wireLayout(of model: CRNNModel) -> [Int] { WireArena.layout(of: model) }

    /// The parameter version: optimiser steps taken, counted on from the version the run resumed at.
    public var version: UInt64 { queue.withLock { currentVersion } }
    /// Samples of every applied push (plus the resumed checkpoint's).
    public var samplesApplied: Int { queue.withLock { applied } }

    /// The learning rate now, from the schedule and the samples applied so far.
    public var learningRate: Float {
        queue.withLock { schedule.rate(atEpoch: Double(applied) / Double(samplesPerEpoch)) }
    }

    /// How many workers train the run now (synchronous mode waits for that many pushes).
    public func setWorkersTraining(_ count: Int) {
        queue.withLock {
            workersTraining = max(1, count)
            queue.broadcast()
        }
        stepper?.wake()
    }

    /// Stops the optimiser thread; pushes still waiting are answered as refused.
    public func stop() {
        let waiting = queue.withLock {
            stopped = true
            queue.broadcast()
            let waiting = pending.waiters
            pending = PendingUpdate(sum: pending.sum)
            return waiting
        }
        stepper?.wake()
        failWaiters(waiting)
    }

    /// Decodes a push into the pending update; `completion` gets its outcome once the step that
    /// holds it is taken (or at once, when the push is refused).
    /// - Throws: the codec's error for a malformed payload (nothing is added then).
    public func submit(payload: UnsafeRawBufferPointer, codec: any GradientCodec, baseVersion: UInt64,
                       sampleCount: Int, completion: @escaping @Sendable (PushOutcome) -> Void) throws {
        // A dense payload is decoded before taking the lock, so decoding one push overlaps the
        // optimiser step and other pushes; a sparse one is added in place under the lock (cheap).
        if let problem = policy.claimProblem(sampleCount: sampleCount) {
            return completion(PushOutcome(applied: false, newVersion: version, staleness: 0, weight: 0, reason: problem))
        }
        var dense: [Float]?
        if !codec.decodesSparsely {
            var values = [Float](repeating: 0, count: wireCount)
            try values.withUnsafeMutableBufferPointer { try codec.decode(payload, into: $0) }
            // Finite on the wire is not enough: fp16 values times a huge tensor scale overflow.
            guard allFinite(values) else {
                return completion(PushOutcome(applied: false, newVersion: version, staleness: 0, weight: 0,
                                              reason: "the push decodes to non-finite values; refused"))
            }
            dense = values
        }
        queue.lock()
        let current = currentVersion
        let age: Int, weight: Float
        switch policy.admit(baseVersion: baseVersion, current: current, stopped: stopped) {
        case .refuse(let staleness, let reason):
            queue.unlock()
            return completion(PushOutcome(applied: false, newVersion: current, staleness: staleness, weight: 0, reason: reason))
        case .accumulate(let staleness, let factor):
            age = staleness
            weight = factor
        }
        do {
            // The first push of an update overwrites the arena (no zeroing pass between steps;
            // a dense codec needs no scratch); later ones add to it.
            let first = pending.pushes == 0
            if first, let decoded = dense {
                pending.sum = decoded
            }
            try pending.sum.withUnsafeMutableBufferPointer { sum in
                switch (first, dense) {
                case (true, .some):
                    break
                case (true, nil):
                    try codec.decode(payload, into: sum)
                case (false, .some(let values)):
                    values.withUnsafeBufferPointer { values in
                        for i in 0..<sum.count { sum[i] += weight * values[i] }
                    }
                case (false, nil):
                    try codec.decode(payload, scaledBy: weight, addingTo: sum)
                }
                if first && weight != 1 { for i in 0..<sum.count { sum[i] *= weight } }
            }
        } catch {
            queue.unlock()
            throw error
        }
        if pending.pushes == 0 { pending.openedAt = Date() }
        pending.pushes += 1
        pending.samples += sampleCount
        pending.waiters.append { [weak self] version in
            guard let version else {
                let stopped = self?.queue.withLock { self?.stopped ?? true } ?? true
                return completion(PushOutcome(applied: false, newVersion: self?.version ?? current, staleness: age, weight: 0,
                                              reason: stopped ? "the run is no longer trained here"
                                                : "the update this push joined held non-finite values and was dropped; pull and continue"))
            }
            completion(PushOutcome(applied: true, newVersion: version, staleness: age, weight: weight, reason: ""))
        }
        queue.broadcast()
        queue.unlock()
        stepper?.wake()
    }

    /// Submits a push and waits for its outcome.
    public func push(payload: UnsafeRawBufferPointer, codec: any GradientCodec, baseVersion: UInt64,
                     sampleCount: Int) async throws -> PushOutcome {
        try await withCheckedThrowingContinuation { continuation in
            do {
                try submit(payload: payload, codec: codec, baseVersion: baseVersion, sampleCount: sampleCount) {
                    continuation.resume(returning: $0)
                }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    /// Submits a wire push and waits for its outcome.
    public func push(_ push: Push, codec: any GradientCodec) async throws -> PushOutcome {
        try await withCheckedThrowingContinuation { continuation in
            do {
                try push.payload.withUnsafeReadableBytes { raw in
                    try submit(payload: raw, codec: codec, baseVersion: push.baseVersion,
                               sampleCount: Int(push.sampleCount)) { continuation.resume(returning: $0) }
                }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    /// Submits a push and blocks until its step is taken (tests and benchmarks; in synchronous
    /// mode this waits for the barrier).
    public func apply(payload: UnsafeRawBufferPointer, codec: any GradientCodec,
                      baseVersion: UInt64, sampleCount: Int) throws -> PushOutcome {
        let done = DispatchSemaphore(value: 0)
        let box = OutcomeBox()
        try submit(payload: payload, codec: codec, baseVersion: baseVersion, sampleCount: sampleCount) {
            box.outcome = $0
            done.signal()
        }
        done.wait()
        return box.outcome!
    }

    /// Waits up to `wait` seconds for a due update and applies it. Returns false once stopped.
    private func stepWhenDue(wait: Double) -> Bool {
        queue.lock()
        let deadline = Date(timeIntervalSinceNow: wait)
        while !stopped && !isDue(now: Date()) {
            if !queue.wait(until: deadline) { break }
        }
        guard !stopped else { queue.unlock(); return false }
        guard isDue(now: Date()) else { queue.unlock(); return true }
        var update = pending
        pending = PendingUpdate(sum: spare)
        queue.unlock()
        takeStep(&update)
        return true
    }

    /// Applies the pending update if it is due (a `ShardStepper`'s turn). Returns whether it stepped.
    func stepIfDue() -> Bool {
        queue.lock()
        guard !stopped, isDue(now: Date()) else { queue.unlock(); return false }
        var update = pending
        pending = PendingUpdate(sum: spare)
        queue.unlock()
        takeStep(&update)
        return true
    }

    var isStopped: Bool { queue.withLock { stopped } }

    /// One optimiser step with `update`, then its pushes' answers.
    private func takeStep(_ update: inout PendingUpdate) {
        modelLock.lock()
        let started = DispatchTime.now().uptimeNanoseconds
        let newVersion = step(&update)
        modelLock.unlock()
        onStep?(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        queue.withLock { spare = update.sum }
        for waiter in update.waiters { waiter(newVersion) }
    }

    /// Whether the pending update should become a step now. Caller holds `queue`.
    private func isDue(now: Date) -> Bool {
        policy.stepsNow(pushes: pending.pushes, openedAt: pending.openedAt, workersTraining: workersTraining, now: now)
    }

    /// One optimiser step with the mean of the update's pushes, or nil when that mean is not
    /// finite (a sparse push whose values overflowed while decoding): the update is dropped and
    /// the parameters stay usable. Caller holds `modelLock`. Returns the new version.
    private func step(_ update: inout PendingUpdate) -> UInt64? {
        let p = served.parameters.count, b = served.buffers.count
        let scale = 1 / Float(update.pushes)
        // One pass per step, not per push: cheap beside the optimiser's own passes.
        guard allFinite(update.sum) else { return nil }
        update.sum.withUnsafeBufferPointer { values in
            let g = served.gradients.pointer
            for i in 0..<p { g[i] = values[i] * scale }
            let running = served.buffers.pointer
            for i in 0..<b { running[i] += values[p + i] * scale }
        }
        if clipNorm > 0 { clipGradientNorm(served.gradients, maxNorm: clipNorm) }
        let rate = queue.withLock { schedule.rate(atEpoch: Double(applied) / Double(samplesPerEpoch)) }
        optimizer.step(parameters: served.parameters, gradients: served.gradients, learningRate: rate)
        return queue.withLock {
            applied += update.samples
            currentVersion += 1
            return currentVersion
        }
    }

    /// Answers pushes whose step will never be taken.
    private func failWaiters(_ waiters: [(UInt64?) -> Void]) {
        for waiter in waiters { waiter(nil) }
    }

    /// Copies the parameters and running statistics into `copy` and returns the version and the
    /// training state that belong to them (optimiser state and step count, samples applied):
    /// everything a checkpoint needs to continue exactly from there.
    public func snapshot(into copy: CRNNModel) -> (version: UInt64, training: TrainingState) {
        withExclusiveModel { model, version in
            copy.parameters.copy(from: model.parameters)
            copy.buffers.copy(from: model.buffers)
            return (version, optimizer.trainingState(samplesApplied: samplesApplied))
        }
    }

    /// Runs `body` with the model while no step is taken (validation, checkpoints). Whole-arena cores only.
    public func withExclusiveModel<T>(_ body: (CRNNModel, UInt64) throws -> T) rethrows -> T {
        let model = self.model
        modelLock.lock()
        defer { modelLock.unlock() }
        return try body(model, version)
    }

    /// Runs `body` with the served arenas while no step is taken.
    public func withExclusiveArenas<T>(_ body: (ServedArenas, UInt64) throws -> T) rethrows -> T {
        modelLock.lock()
        defer { modelLock.unlock() }
        return try body(served, version)
    }

    /// The served wire values (parameters, then running statistics) and their version.
    public func wireSnapshot() -> (values: [Float], version: UInt64) {
        withExclusiveArenas { arenas, version in (arenas.wireValues, version) }
    }
}

/// The pushes received since the optimiser's last step.
struct PendingUpdate {
    /// Σ weight × decoded push, over the wire arena.
    var sum: [Float]
    var pushes = 0
    var samples = 0
    var openedAt: Date?
    /// Called with the new version once the step holding the push is taken (nil: never).
    var waiters: [(UInt64?) -> Void] = []

    init(sum: [Float]) { self.sum = sum }
}

private final class OutcomeBox: @unchecked Sendable {
    var outcome: PushOutcome?
}
