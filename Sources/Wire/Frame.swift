import NIOConcurrencyHelpers
import NIOCore

/// One frame of the parameter-server protocol:
///
///     bytes 0–3   magic "CRPS"
///     byte  4     protocol version (2)
///     byte  5     message type (`MessageType`)
///     byte  6     flags (none defined: must be 0)
///     bytes 7–10  payload length, UInt32 big endian
///     bytes 11…   payload
public struct Frame: Equatable, Sendable {
    public var type: MessageType
    public var flags: UInt8
    public var payload: ByteBuffer

    public init(type: MessageType, flags: UInt8 = 0, payload: ByteBuffer) {
        self.type = type
        self.flags = flags
        self.payload = payload
    }
}

/// Constants of the frame format.
public enum FrameFormat {
    /// "CRPS": crnn parameter server.
    public static let magic: [UInt8] = Array("CRPS".utf8)
    /// The protocol version this build speaks.
    /// 2: delta pulls (pull anchor version, welcome pull codec, params anchor fields).
    /// 3: sharded parameter servers (hello asks for a shard, welcome names the served range).
    public static let version: UInt8 = 3
    /// Bytes before the payload.
    public static let headerSize = 11
    /// Payload limit for every control message (everything but params and push), and for all
    /// frames before authentication: an unauthenticated peer cannot make us buffer more.
    public static let controlPayloadLimit = 4096
    /// Default payload limit for params and push frames: room for a 24 M-parameter fp32 arena.
    public static let defaultMaximumPayload = 256 << 20
}

/// The message types. Client → server: hello, auth, pull, push, bye. Server → client:
/// challenge, welcome, refused, params, ack, error.
public enum MessageType: UInt8, Sendable, CaseIterable {
    case hello = 1, challenge = 2, auth = 3, welcome = 4, refused = 5
    case pull = 6, params = 7, push = 8, ack = 9, bye = 10, error = 11

    /// Whether frames of this type may exceed `FrameFormat.controlPayloadLimit`.
    public var isBulk: Bool { self == .params || self == .push }
}

/// The payload limits of one connection. Bulk frames are refused until the handshake
/// succeeds and `allowBulk()` is called; shared between the decoder (on the event loop) and
/// the code that runs the handshake.
public final class FrameLimits: Sendable {
    /// Largest payload of a params or push frame once bulk frames are allowed.
    public let maximumPayload: Int
    private let bulkAllowed = NIOLockedValueBox(false)

    public init(maximumPayload: Int = FrameFormat.defaultMaximumPayload) {
        self.maximumPayload = maximumPayload
    }

    /// Lets params and push frames through, up to `maximumPayload`.
    public func allowBulk() { bulkAllowed.withLockedValue { $0 = true } }

    /// The largest payload accepted for `type` now, or nil when the type is not yet allowed.
    func limit(for type: MessageType) -> Int? {
        guard type.isBulk else { return FrameFormat.controlPayloadLimit }
        return bulkAllowed.withLockedValue { $0 } ? maximumPayload : nil
    }
}

/// Why a frame or a message was refused. The connection that sent it is closed.
public enum WireError: Error, Equatable, CustomStringConvertible {
    case badMagic([UInt8])
    case unsupportedVersion(UInt8)
    case unknownMessageType(UInt8)
    case unknownFlags(UInt8)
    case frameTooLarge(type: MessageType, length: Int, limit: Int)
    case bulkBeforeAuthentication(MessageType)
    case truncatedFrame(bufferedBytes: Int)
    /// A frame did not arrive whole within the read timeout (time spent waiting for the peer).
    case frameReadTimeout(seconds: Double, received: Int, frameSize: Int?)
    case malformed(type: MessageType, why: String)

    public var description: String {
        switch self {
        case .badMagic(let bytes):
            return "bad magic \(bytes.map { String($0, radix: 16) }) (not a crnn parameter-server peer)"
        case .unsupportedVersion(let v):
            return "protocol version \(v) not supported (this side speaks \(FrameFormat.version))"
        case .unknownMessageType(let t): return "unknown message type \(t)"
        case .unknownFlags(let f): return "unknown frame flags 0x\(String(f, radix: 16))"
        case .frameTooLarge(let type, let length, let limit):
            return "\(type) frame of \(length) bytes exceeds the limit of \(limit)"
        case .bulkBeforeAuthentication(let type): return "\(type) frame before authentication"
        case .truncatedFrame(let n): return "connection closed inside a frame (\(n) bytes buffered)"
        case .frameReadTimeout(let seconds, let received, let frameSize):
            let limit = seconds == seconds.rounded() ? "\(Int(seconds))" : "\(seconds)"
            let of = frameSize.map { " of \($0)" } ?? ""
            return "frame not received within \(limit) s of waiting for it (\(received)\(of) bytes arrived)"
        case .malformed(let type, let why): return "malformed \(type) message: \(why)"
        }
    }
}
