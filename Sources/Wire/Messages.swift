import NIOCore

/// The messages of the parameter-server protocol. Byte layouts are in `MessageCoding.swift`
/// and docs/protocol.md.
///
///     client                         server
///     hello(name, version, run)  →
///                                ←   challenge(32-byte nonce)
///     auth(HMAC(token, nonce‖name)) →
///                                ←   welcome(run, version, parameter count, codec) | refused
///     pull(run, since)           →
///                                ←   params(version, encoding, arena)
///     push(run, base, samples, loss, codec, payload) →
///                                ←   ack(new version, staleness, applied|refused, reason)
///     bye                        →   (server closes)
public enum Message: Equatable, Sendable {
    case hello(Hello)
    case challenge(nonce: [UInt8])
    case auth(mac: [UInt8])
    case welcome(Welcome)
    case refused(reason: String)
    case pull(Pull)
    case params(Params)
    case push(Push)
    case ack(Ack)
    case bye
    case error(reason: String)

    public var type: MessageType {
        switch self {
        case .hello: return .hello
        case .challenge: return .challenge
        case .auth: return .auth
        case .welcome: return .welcome
        case .refused: return .refused
        case .pull: return .pull
        case .params: return .params
        case .push: return .push
        case .ack: return .ack
        case .bye: return .bye
        case .error: return .error
        }
    }
}

/// A client's first message.
public struct Hello: Equatable, Sendable {
    /// Human-readable worker name (1–64 bytes of UTF-8), part of the authenticated data.
    public var clientName: String
    /// The protocol version the client speaks.
    public var protocolVersion: UInt8
    /// The run the client wants to work on.
    public var runID: UInt64
    /// The shard of the run's parameters the client wants from this server (0 of 1: the whole arena).
    public var shard: UInt32
    public var shards: UInt32

    public init(clientName: String, protocolVersion: UInt8 = FrameFormat.version, runID: UInt64,
                shard: UInt32 = 0, shards: UInt32 = 1) {
        self.clientName = clientName
        self.protocolVersion = protocolVersion
        self.runID = runID
        self.shard = shard
        self.shards = shards
    }
}

/// The values of the run's wire arena one server holds: `lower..<upper`, shard `shard` of `shards`.
public struct ServedRange: Equatable, Sendable, CustomStringConvertible {
    public var shard: UInt32
    public var shards: UInt32
    public var lower: UInt64
    public var upper: UInt64

    public init(shard: UInt32, shards: UInt32, lower: UInt64, upper: UInt64) {
        self.shard = shard
        self.shards = shards
        self.lower = lower
        self.upper = upper
    }

    /// A server of the whole arena of `count` values.
    public static func whole(count: UInt64) -> ServedRange { ServedRange(shard: 0, shards: 1, lower: 0, upper: count) }

    public var description: String {
        shards == 1 ? "the whole arena (\(upper - lower) values)" : "shard \(shard + 1) of \(shards) (values \(lower)..<\(upper))"
    }
}

/// What the server tells an authenticated client about its run.
public struct Welcome: Equatable, Sendable {
    public var runID: UInt64
    /// The parameters' current version (number of applied updates).
    public var currentVersion: UInt64
    /// Number of fp32 parameters in the arena.
    public var parameterCount: UInt64
    /// The gradient codec the run's config asks pushes to use.
    public var codecName: String
    /// The codec of the deltas pulls are answered with; empty: pulls are exact.
    public var pullCodecName: String
    /// The values this server holds (`parameterCount` = upper − lower).
    public var range: ServedRange

    public init(runID: UInt64, currentVersion: UInt64, parameterCount: UInt64, codecName: String,
                pullCodecName: String = "", range: ServedRange? = nil) {
        self.runID = runID
        self.currentVersion = currentVersion
        self.parameterCount = parameterCount
        self.codecName = codecName
        self.pullCodecName = pullCodecName
        self.range = range ?? .whole(count: parameterCount)
    }
}

/// A request for the parameters.
public struct Pull: Equatable, Sendable {
    public var runID: UInt64
    /// The version the client holds; the server answers `unchanged` when it is current.
    /// `Pull.none` asks for the arena unconditionally.
    public var sinceVersion: UInt64
    /// The version of the exact anchor the client holds (runs with delta pulls), or `Pull.none`.
    public var anchorVersion: UInt64

    /// The `sinceVersion` of a client that holds no parameters (and `anchorVersion` of one
    /// that holds no anchor).
    public static let none = UInt64.max

    public init(runID: UInt64, sinceVersion: UInt64 = Pull.none, anchorVersion: UInt64 = Pull.none) {
        self.runID = runID
        self.sinceVersion = sinceVersion
        self.anchorVersion = anchorVersion
    }
}

/// How a params payload is encoded.
public enum ParameterEncoding: UInt8, Sendable {
    /// No payload: the client's copy at `sinceVersion` is current.
    case unchanged = 0
    /// The full arena, lossless: an `fp32+zstd` codec payload.
    case fp32Zstd = 1
    /// The publications since the client's (on the chain of the anchor it holds, `anchorVersion`),
    /// each a payload in the run's pull codec: parameters += each decoded, in order.
    case delta = 2
    /// A new exact anchor (`anchor`, an `fp32+zstd` payload of the arena at `anchorVersion`) and
    /// the chain's publications since it (none when `version` is the anchor's: then parameters =
    /// anchor, bit for bit).
    case anchorAndDelta = 3
}

/// The parameters at a version.
public struct Params: Equatable, Sendable {
    public var version: UInt64
    public var encoding: ParameterEncoding
    /// `delta`, `anchorAndDelta`: the anchor's version (0 otherwise).
    public var anchorVersion: UInt64
    /// `anchorAndDelta`: the exact anchor (empty otherwise).
    public var anchor: ByteBuffer
    /// `delta`, `anchorAndDelta`: the publications to apply in order, each a pull-codec payload.
    public var increments: [ByteBuffer]
    /// `fp32Zstd`: the arena (empty otherwise).
    public var payload: ByteBuffer

    public init(version: UInt64, encoding: ParameterEncoding, payload: ByteBuffer) {
        self.init(version: version, encoding: encoding, anchorVersion: 0, anchor: ByteBuffer(), increments: [], payload: payload)
    }

    public init(version: UInt64, encoding: ParameterEncoding, anchorVersion: UInt64,
                anchor: ByteBuffer = ByteBuffer(), increments: [ByteBuffer], payload: ByteBuffer = ByteBuffer()) {
        self.version = version
        self.encoding = encoding
        self.anchorVersion = anchorVersion
        self.anchor = anchor
        self.increments = increments
        self.payload = payload
    }

    /// Bytes this answer carries (anchor, publications, payload).
    public var byteCount: Int {
        anchor.readableBytes + payload.readableBytes + increments.reduce(0) { $0 + $1.readableBytes }
    }
}

/// An encoded gradient.
public struct Push: Equatable, Sendable {
    public var runID: UInt64
    /// The parameter version the gradient was computed at.
    public var baseVersion: UInt64
    /// Samples the gradient averages over.
    public var sampleCount: UInt32
    /// Mean training loss over those samples (finite).
    public var loss: Float
    /// The codec that produced `payload` (`GradientCodecs.names`).
    public var codecName: String
    public var payload: ByteBuffer

    public init(runID: UInt64, baseVersion: UInt64, sampleCount: UInt32, loss: Float, codecName: String, payload: ByteBuffer) {
        self.runID = runID
        self.baseVersion = baseVersion
        self.sampleCount = sampleCount
        self.loss = loss
        self.codecName = codecName
        self.payload = payload
    }
}

/// The server's answer to a push.
public struct Ack: Equatable, Sendable {
    public enum Status: UInt8, Sendable {
        case applied = 0
        case refused = 1
    }

    /// The parameters' version after this push (unchanged when refused).
    public var newVersion: UInt64
    /// Versions applied between the push's base version and its arrival.
    public var staleness: UInt64
    public var status: Status
    /// Why it was refused or down-weighted; empty otherwise.
    public var reason: String

    public init(newVersion: UInt64, staleness: UInt64, status: Status, reason: String = "") {
        self.newVersion = newVersion
        self.staleness = staleness
        self.status = status
        self.reason = reason
    }
}
