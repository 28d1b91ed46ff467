import NIOCore
import NIOPosix

/// Why a client call failed.
public enum PSClientError: Error, Equatable, CustomStringConvertible {
    /// The server refused the handshake.
    case refused(String)
    /// The server refused our token: not transient, the same token will be refused again.
    case authenticationFailed(String)
    /// The server answered a request with an error message.
    case server(String)
    /// The server sent a message that does not answer the request.
    case unexpected(expected: String, got: MessageType)
    /// The connection closed before the answer arrived.
    case connectionClosed
    /// A bad argument (for example a client name over 64 bytes).
    case invalidArgument(String)
    /// No answer within the request timeout; the connection is closed (its stream of answers
    /// can no longer be matched to requests).
    case timedOut(seconds: Double)

    public var description: String {
        switch self {
        case .refused(let why): return "parameter server refused the connection: \(why)"
        case .authenticationFailed(let why):
            return "parameter server refused our token (\(why)): the token must be the coordinator's (--token-file or CRNN_TOKEN)"
        case .server(let why): return "parameter server error: \(why)"
        case .unexpected(let expected, let got): return "expected \(expected) from the parameter server, got \(got)"
        case .connectionClosed: return "connection to the parameter server closed"
        case .invalidArgument(let why): return why
        case .timedOut(let seconds): return "no answer from the parameter server within \(Int(seconds)) s"
        }
    }
}

/// A connection to the parameter server: connect and authenticate, then pull, push, bye.
/// Requests are answered in order; reconnecting is the caller's business.
public final class PSClient: Sendable {
    private let channel: any Channel
    /// What the server said when it admitted us.
    public let welcome: Welcome
    public let runID: UInt64

    /// Connects and runs the handshake.
    /// - Throws: `PSClientError.authenticationFailed` for a wrong token, `.refused` for an unknown
    ///   run, NIO connect errors.
    public static func connect(
        host: String, port: Int, token: SharedToken, clientName: String, runID: UInt64,
        shard: UInt32 = 0, shards: UInt32 = 1,
        maximumPayload: Int = FrameFormat.defaultMaximumPayload,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> PSClient {
        let nameBytes = clientName.utf8.count
        guard (1...Message.Limits.clientName).contains(nameBytes) else {
            throw PSClientError.invalidArgument("client name must be 1–\(Message.Limits.clientName) bytes, got \(nameBytes)")
        }
        let limits = FrameLimits(maximumPayload: maximumPayload)
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try addProtocolHandlers(to: channel, limits: limits)
                    try channel.pipeline.syncOperations.addHandler(RequestHandler())
                }
            }
            .connect(host: host, port: port).get()
        do {
            let hello = Hello(clientName: clientName, runID: runID, shard: shard, shards: shards)
            let welcome = try await handshake(channel, token: token, hello: hello)
            guard welcome.range.shard == shard, welcome.range.shards == shards else {
                throw PSClientError.refused("asked for shard \(shard + 1) of \(shards), the server serves \(welcome.range)")
            }
            limits.allowBulk()
            return PSClient(channel: channel, welcome: welcome, runID: runID)
        } catch {
            try? await channel.close()
            throw error
        }
    }

    private init(channel: any Channel, welcome: Welcome, runID: UInt64) {
        self.channel = channel
        self.welcome = welcome
        self.runID = runID
    }

    private static func handshake(_ channel: any Channel, token: SharedToken, hello: Hello) async throws -> Welcome {
        let clientName = hello.clientName
        guard case .challenge(let nonce) = try await request(.hello(hello), on: channel, expecting: "challenge") else {
            throw PSClientError.connectionClosed
        }
        let mac = HandshakeAuth.mac(token: token, nonce: nonce, clientName: clientName)
        let answer: Message
        do {
            answer = try await request(.auth(mac: mac), on: channel, expecting: "welcome")
        } catch PSClientError.refused(let why) where why.hasPrefix(ServerHandshake.authenticationFailure) {
            throw PSClientError.authenticationFailed(why)
        }
        switch answer {
        case .welcome(let welcome): return welcome
        case let other: throw PSClientError.unexpected(expected: "welcome", got: other.type)
        }
    }

    /// The parameters, or `unchanged` when `sinceVersion` is current (with delta pulls: the
    /// change since the anchor of `anchorVersion`, or a new anchor and the change since it).
    public func pull(sinceVersion: UInt64 = Pull.none, anchorVersion: UInt64 = Pull.none) async throws -> Params {
        let pull = Pull(runID: runID, sinceVersion: sinceVersion, anchorVersion: anchorVersion)
        switch try await Self.request(.pull(pull), on: channel, expecting: "params") {
        case .params(let params): return params
        case let other: throw PSClientError.unexpected(expected: "params", got: other.type)
        }
    }

    /// Pushes an encoded gradient; the ack says whether it was applied.
    public func push(baseVersion: UInt64, sampleCount: UInt32, loss: Float, codecName: String,
                     payload: [UInt8]) async throws -> Ack {
        let push = Push(runID: runID, baseVersion: baseVersion, sampleCount: sampleCount, loss: loss,
                        codecName: codecName, payload: channel.allocator.buffer(bytes: payload))
        switch try await Self.request(.push(push), on: channel, expecting: "ack") {
        case .ack(let ack): return ack
        case let other: throw PSClientError.unexpected(expected: "ack", got: other.type)
        }
    }

    /// Seconds a request may wait for its answer (a full pull of the largest model included).
    nonisolated(unsafe) public static var requestTimeout: Double = 120

    /// Says goodbye and closes the connection.
    public func bye() async {
        try? await channel.writeAndFlush(ClientRequest(message: .bye, answer: nil))
        try? await channel.close()
    }

    /// Closes without a goodbye.
    public func close() async { try? await channel.close() }

    /// False once the connection has closed (the server went away, or a request timed out):
    /// every request would fail, so reconnect.
    public var isConnected: Bool { channel.isActive }

    /// Sends a request and waits for its answer; `refused` and `error` become errors.
    private static func request(_ message: Message, on channel: any Channel, expecting: String,
                                timeout: Double = PSClient.requestTimeout) async throws -> Message {
        let answer = channel.eventLoop.makePromise(of: Message.self)
        // A server that never answers must not hold a worker for ever: fail the request and
        // close, so the caller reconnects.
        let deadline = channel.eventLoop.scheduleTask(in: .milliseconds(Int64(timeout * 1000))) {
            answer.fail(PSClientError.timedOut(seconds: timeout))
            channel.close(promise: nil)
        }
        answer.futureResult.whenComplete { _ in deadline.cancel() }
        // Once the channel has closed its pipeline is gone, so the request never reaches the
        // handler that would fail it: only the write's own failure says the answer cannot come.
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { _ in answer.fail(PSClientError.connectionClosed) }
        channel.writeAndFlush(ClientRequest(message: message, answer: answer), promise: written)
        switch try await answer.futureResult.get() {
        case .refused(let reason): throw PSClientError.refused(reason)
        case .error(let reason): throw PSClientError.server(reason)
        case let reply: return reply
        }
    }
}

/// A message and the promise its answer fulfils (nil when none is expected).
struct ClientRequest {
    var message: Message
    var answer: EventLoopPromise<Message>?
}

/// Matches answers to requests in order; fails waiting requests when the connection breaks.
final class RequestHandler: ChannelDuplexHandler {
    typealias InboundIn = Message
    typealias OutboundIn = ClientRequest
    typealias OutboundOut = Message

    private var waiting = CircularBuffer<EventLoopPromise<Message>>()
    /// Set once the connection is gone: a request written after that could never be answered.
    private var closed = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        guard !closed else {
            request.answer?.fail(PSClientError.connectionClosed)
            promise?.fail(PSClientError.connectionClosed)
            return
        }
        if let answer = request.answer { waiting.append(answer) }
        // A write that fails (the server vanished mid-request) fails every waiting answer, so
        // no caller waits for a reply that cannot come.
        let written = promise ?? context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { [weak self] error in
            self?.closed = true
            self?.failAll(error)
        }
        context.write(wrapOutboundOut(request.message), promise: written)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        if let answer = waiting.popFirst() {
            answer.succeed(message)
        } else if case .error = message {
            // An unsolicited error precedes the server closing the connection.
            failAll(PSClientError.connectionClosed)
        } else {
            context.fireErrorCaught(PSClientError.unexpected(expected: "nothing", got: message.type))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closed = true
        failAll(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        failAll(PSClientError.connectionClosed)
        context.fireChannelInactive()
    }

    private func failAll(_ error: any Error) {
        while let answer = waiting.popFirst() { answer.fail(error) }
    }
}
