// A worker's view of a parameter server in the same process: the session's real code, no sockets.
import NIOCore
import Wire

/// A `ParameterServerLink` answered by a `ParameterServerCore` directly, as `ParameterService`
/// answers a connection: for tests and benchmarks that drive a worker's `RunSession` in process.
public final class InProcessLink: ParameterServerLink, @unchecked Sendable {
    public let core: ParameterServerCore
    public let codec: any GradientCodec
    public let welcome: Welcome
    /// Serve recently encoded parameters of an older version, as the network service does in
    /// an asynchronous run; off for comparisons that must not depend on timing.
    public let reuseRecentPulls: Bool
    public var isConnected: Bool { true }
    private let pulls: PullAnswers

    public init(core: ParameterServerCore, codec: any GradientCodec, pullPolicy: PullPolicy = .exact,
                runID: UInt64 = 1, reuseRecentPulls: Bool = true) {
        self.core = core
        self.codec = codec
        self.reuseRecentPulls = reuseRecentPulls
        pulls = PullAnswers(core: core, policy: pullPolicy)
        welcome = Welcome(runID: runID, currentVersion: core.version, parameterCount: UInt64(core.wireCount),
                          codecName: codec.name, pullCodecName: pullPolicy.codecName, range: core.servedRange)
    }

    /// The answers to this link's pulls (its anchor, for tests).
    public var pullAnswers: PullAnswers { pulls }

    public func pull(sinceVersion: UInt64, anchorVersion: UInt64) async throws -> Params {
        try pulls.answer(sinceVersion: sinceVersion, anchorVersion: anchorVersion,
                         reuseRecent: reuseRecentPulls && core.mode == .asynchronous)
    }

    public func push(baseVersion: UInt64, sampleCount: UInt32, loss: Float, codecName: String,
                     payload: [UInt8]) async throws -> Ack {
        guard codecName == codec.name else {
            throw ParameterServiceRefusal.wrongCodec(expected: codec.name, got: codecName)
        }
        let push = Push(runID: welcome.runID, baseVersion: baseVersion, sampleCount: sampleCount, loss: loss,
                        codecName: codecName, payload: ByteBuffer(bytes: payload))
        return Ack(try await core.push(push, codec: codec))
    }

    public func bye() async {}
}

extension Ack {
    /// The acknowledgement of a push's outcome.
    public init(_ outcome: PushOutcome) {
        self.init(newVersion: outcome.newVersion, staleness: UInt64(outcome.staleness),
                  status: outcome.applied ? .applied : .refused, reason: outcome.reason)
    }
}
