// The arithmetic of the asynchronous parameter server for one run, with no network and no
// database: a version counter, the parameter and optimiser arenas, and the rule for stale pushes.
//
// Shapes: the wire arena is [P + B]: the P parameter values followed by the B batch-norm running
// statistics. A push carries d loss / d θ for the first P entries and the change the worker's
// forward passes made to the running statistics for the last B (see docs/protocol.md).
import Engine
import Foundation
import Wire

/// How old a gradient may be, and what happens to one that is older.
public struct StalenessRule: Sendable, Equatable {
    public enum Policy: String, Sendable { case refuse, downweight }
    public var bound: Int
    public var policy: Policy

    public init(bound: Int, policy: Policy) {
        self.bound = max(0, bound)
        self.policy = policy
    }

    /// The factor a push of `staleness` is applied with; nil when it is refused.
    public func weight(staleness: Int) -> Float? {
        if staleness <= bound { return 1 }
        switch policy {
        case .refuse: return nil
        case .downweight: return Float(max(bound, 1)) / Float(staleness)
        }
    }
}

/// What became of one push.
public struct PushOutcome: Sendable, Equatable {
    public var applied: Bool
    public var newVersion: UInt64
    public var staleness: Int
    public var weight: Float
    public var reason: String
}

/// One run's parameters and optimiser. Thread-safe: pushes from many connections are applied
/// one at a time under a lock, in arrival order (asynchronous SGD).
public final class ParameterServerCore: @unchecked Sendable {
    public let model: CRNNModel
    public let optimizer: any Optimizer
    public let schedule: StepLRSchedule
    public let staleness: StalenessRule
    /// Global gradient-norm clip applied before every step (0 = off).
    public let clipNorm: Float
    /// Samples per schedule unit (an epoch), to turn applied samples into the schedule's step.
    public let samplesPerEpoch: Int

    public private(set) var version: UInt64
    public private(set) var samplesApplied: Int = 0
    private let lock = NSLock()
    private var decoded: [Float]
    private var cachedParameters: (version: UInt64, bytes: [UInt8])?

    /// Parameter tensor sizes followed by buffer tensor sizes: the layout codecs see.
    public let wireLayout: [Int]
    public var parameterCount: Int { model.parameters.count }
    public var wireCount: Int { model.parameters.count + model.buffers.count }

    public init(model: CRNNModel, optimizer: any Optimizer, schedule: StepLRSchedule,
                staleness: StalenessRule, clipNorm: Float = 0, samplesPerEpoch: Int, version: UInt64 = 0) {
        self.model = model
        self.optimizer = optimizer
        self.schedule = schedule
        self.staleness = staleness
        self.clipNorm = clipNorm
        self.samplesPerEpoch = max(1, samplesPerEpoch)
        self.version = version
        wireLayout = Self.wireLayout(of: model)
        decoded = [Float](repeating: 0, count: model.parameters.count + model.buffers.count)
    }

    /// The tensor sizes of `model`'s wire arena (parameters, then running statistics).
    public static func wireLayout(of model: CRNNModel) -> [Int] {
        (model.parameters.layout.slices + model.buffers.layout.slices).map(\.count)
    }

    /// The learning rate now, from the schedule and the samples applied so far.
    public var learningRate: Float {
        lock.withLock { schedule.rate(at: samplesApplied / samplesPerEpoch) }
    }

    /// Decodes `payload` with `codec` and applies it as one optimiser step.
    /// - Throws: the codec's error for a malformed payload (nothing is applied then).
    public func apply(payload: UnsafeRawBufferPointer, codec: any GradientCodec,
                      baseVersion: UInt64, sampleCount: Int) throws -> PushOutcome {
        lock.lock()
        defer { lock.unlock() }
        let current = version
        let age = baseVersion > current ? 0 : Int(current - baseVersion)
        guard baseVersion <= current else {
            return PushOutcome(applied: false, newVersion: current, staleness: 0, weight: 0,
                               reason: "base version \(baseVersion) is newer than the server's \(current)")
        }
        guard let weight = staleness.weight(staleness: age) else {
            return PushOutcome(applied: false, newVersion: current, staleness: age, weight: 0,
                               reason: "stale: \(age) versions behind (bound \(staleness.bound)); pull and continue")
        }
        try decoded.withUnsafeMutableBufferPointer { try codec.decode(payload, into: $0) }
        let p = model.parameters.count, b = model.buffers.count
        decoded.withUnsafeBufferPointer { values in
            let g = model.gradients.pointer
            for i in 0..<p { g[i] = values[i] * weight }
            let running = model.buffers.pointer
            for i in 0..<b { running[i] += values[p + i] * weight }
        }
        if clipNorm > 0 { clipGradientNorm(model.gradients, maxNorm: clipNorm) }
        let rate = schedule.rate(at: samplesApplied / samplesPerEpoch)
        optimizer.step(parameters: model.parameters, gradients: model.gradients, learningRate: rate)
        samplesApplied += sampleCount
        version += 1
        return PushOutcome(applied: true, newVersion: version, staleness: age, weight: weight, reason: "")
    }

    /// The wire arena at the current version, losslessly encoded by `encode` (cached per version,
    /// so many workers pulling the same version cost one compression).
    public func parameters(encode: ([Float]) throws -> [UInt8]) rethrows -> (version: UInt64, bytes: [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        if let cached = cachedParameters, cached.version == version { return cached }
        let bytes = try encode(model.parameters.values + model.buffers.values)
        cachedParameters = (version, bytes)
        return (version, bytes)
    }

    /// Runs `body` with the model while no push is applied (validation, checkpoints).
    public func withExclusiveModel<T>(_ body: (CRNNModel, UInt64) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(model, version)
    }
}
