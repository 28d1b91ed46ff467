import Logging
import NIOCore
import NIOPosix

/// What the parameter server does with authenticated requests; the coordinator implements it.
///
/// Methods may be called concurrently from several connections; one connection's requests
/// arrive one at a time, in order.
public protocol ParameterServerDelegate: Sendable {
    /// Admits an authenticated client to its run. Throwing refuses it; the error's
    /// description is sent as the reason.
    func welcome(_ hello: Hello) async throws -> Welcome
    /// Answers a pull. Throwing sends an `error` reply and keeps the connection.
    func handlePull(_ pull: Pull, from client: Hello) async throws -> Params
    /// Applies (or refuses) a push. Throwing sends an `error` reply and keeps the connection.
    func handlePush(_ push: Push, from client: Hello) async throws -> Ack
}

/// Where and how the parameter server listens.
public struct PSServerConfiguration: Sendable {
    /// Loopback by default: listening beyond this machine is a deliberate `--listen`.
    public var host: String = "127.0.0.1"
    /// 0 picks a free port (tests).
    public var port: Int = 7070
    public var token: SharedToken
    /// Largest params/push payload accepted after authentication.
    public var maximumPayload: Int = FrameFormat.defaultMaximumPayload
    /// A client that has not authenticated within this time is disconnected.
    public var handshakeTimeout: TimeAmount = .seconds(10)
    /// A frame must arrive whole within this much time spent waiting for the peer (time while
    /// the server itself is busy does not count), or the connection is closed. The default lets
    /// a full 256 MiB frame through at about 2.1 MiB/s; a slower link could not pull the largest
    /// model within the client's request timeout (120 s) either. Silence between frames is not
    /// limited: a worker may compute for minutes between pushes.
    public var frameReadTimeout: TimeAmount = .seconds(120)

    public init(token: SharedToken, host: String = "127.0.0.1", port: Int = 7070) {
        self.token = token
        self.host = host
        self.port = port
    }
}

/// The parameter server's network side: accepts connections, runs the handshake, hands
/// authenticated requests to the delegate. A misbehaving connection is logged and closed
/// alone; the others keep being served.
public final class PSServer: Sendable {
    private typealias Connection = (channel: NIOAsyncChannel<Message, Message>, limits: FrameLimits)

    private let listener: NIOAsyncChannel<Connection, Never>
    private let configuration: PSServerConfiguration
    private let delegate: any ParameterServerDelegate
    private let logger: Logger

    /// The bound port (useful with port 0).
    public var port: Int { listener.channel.localAddress?.port ?? 0 }

    /// Binds the listening socket. Call `run()` to serve.
    /// - Throws: NIO's bind errors (address in use, bad host).
    public static func bind(
        configuration: PSServerConfiguration, delegate: any ParameterServerDelegate,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "crnn.ps.server")
    ) async throws -> PSServer {
        let maximumPayload = configuration.maximumPayload, frameReadTimeout = configuration.frameReadTimeout
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let limits = FrameLimits(maximumPayload: maximumPayload)
                    try addProtocolHandlers(to: channel, limits: limits, frameReadTimeout: frameReadTimeout)
                    let connection: Connection = (
                        try NIOAsyncChannel<Message, Message>(wrappingChannelSynchronously: channel), limits)
                    return connection
                }
            }
        return PSServer(listener: listener, configuration: configuration, delegate: delegate, logger: logger)
    }

    private init(listener: NIOAsyncChannel<Connection, Never>, configuration: PSServerConfiguration,
                 delegate: any ParameterServerDelegate, logger: Logger) {
        self.listener = listener
        self.configuration = configuration
        self.delegate = delegate
        self.logger = logger
    }

    /// Serves until `close()`; each connection runs in its own child task.
    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            try await listener.executeThenClose { inbound in
                for try await connection in inbound {
                    group.addTask { await self.serve(connection) }
                }
            }
        }
    }

    /// Stops accepting connections; `run()` returns once open connections end.
    public func close() async {
        try? await listener.channel.close()
    }

    private func serve(_ connection: Connection) async {
        let peer = connection.channel.channel.remoteAddress.map { "\($0)" } ?? "unknown peer"
        var log = logger
        log[metadataKey: "peer"] = "\(peer)"
        let channel = connection.channel.channel
        // An unauthenticated client may not hold a connection open for ever.
        let timeout = channel.eventLoop.scheduleTask(in: configuration.handshakeTimeout) {
            channel.close(promise: nil)
        }
        defer { timeout.cancel() }
        do {
            try await connection.channel.executeThenClose { inbound, outbound in
                var handshake = ServerHandshake(token: configuration.token)
                do {
                    for try await message in inbound {
                        let reply = try await carryOut(handshake.receive(message), limits: connection.limits,
                                                       timeout: timeout, log: log)
                        switch reply {
                        case .send(let m): try await outbound.write(m)
                        case .sendAndStop(let m): try await outbound.write(m); return
                        case .stop: return
                        }
                    }
                } catch let error as WireError {
                    // The peer broke the protocol: tell it why (best effort), then close.
                    log.warning("closing connection: \(error)")
                    try? await outbound.write(.error(reason: "\(error)"))
                }
            }
        } catch {
            log.warning("connection failed: \(error)")
        }
    }

    private enum Reply {
        case send(Message)
        case sendAndStop(Message)
        case stop
    }

    /// Carries out one handshake action, asking the delegate where needed.
    private func carryOut(_ action: ServerHandshake.Action, limits: FrameLimits,
                          timeout: Scheduled<Void>, log: Logger) async throws -> Reply {
        switch action {
        case .send(let message):
            return .send(message)
        case .sendAndClose(let message, let reason):
            log.warning("closing connection: \(reason)")
            return .sendAndStop(message)
        case .close(let reason):
            log.info("closing connection: \(reason)")
            return .stop
        case .admit(let hello):
            do {
                let welcome = try await delegate.welcome(hello)
                timeout.cancel()
                limits.allowBulk()
                log.info("client '\(hello.clientName)' joined run \(hello.runID)")
                return .send(.welcome(welcome))
            } catch {
                log.warning("refused client '\(hello.clientName)': \(error)")
                return .sendAndStop(.refused(reason: "\(error)"))
            }
        case .deliver(let message, let client):
            do {
                switch message {
                case .pull(let pull): return .send(.params(try await delegate.handlePull(pull, from: client)))
                case .push(let push): return .send(.ack(try await delegate.handlePush(push, from: client)))
                default: return .sendAndStop(.error(reason: "cannot handle \(message.type)"))
                }
            } catch {
                log.warning("\(message.type) failed: \(error)")
                return .send(.error(reason: "\(error)"))
            }
        }
    }
}

/// Installs the framing and message handlers on a new channel (server or client side).
/// - Parameter frameReadTimeout: the time one frame may spend arriving (`FrameReadDeadline`);
///   nil for no limit (the client, whose requests have their own timeout).
func addProtocolHandlers(to channel: any Channel, limits: FrameLimits, frameReadTimeout: TimeAmount? = nil) throws {
    let sync = channel.pipeline.syncOperations
    let deadline = frameReadTimeout.map(FrameReadDeadline.init(timeout:))
    if let deadline { try sync.addHandler(deadline) }
    try sync.addHandler(ByteToMessageHandler(FrameDecoder(limits: limits, deadline: deadline)))
    try sync.addHandler(MessageToByteHandler(FrameEncoder()))
    try sync.addHandler(MessageCodecHandler())
}
