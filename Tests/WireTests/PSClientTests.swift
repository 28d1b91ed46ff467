import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
@testable import Wire

/// Admits clients with the token, as the parameter server does, and answers nothing after that;
/// `dropConnections()` closes them all, as a killed coordinator's do.
private final class AdmitOnlyServer: Sendable {
    private let listener: any Channel
    private let connections: NIOLockedValueBox<[any Channel]>

    var port: Int { listener.localAddress?.port ?? 0 }

    init(token: SharedToken) async throws {
        let connections = NIOLockedValueBox<[any Channel]>([])
        listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                connections.withLockedValue { $0.append(channel) }
                return channel.eventLoop.makeCompletedFuture {
                    try addProtocolHandlers(to: channel, limits: FrameLimits())
                    try channel.pipeline.syncOperations.addHandler(Admit(token: token))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.connections = connections
    }

    func dropConnections() {
        for channel in connections.withLockedValue({ $0 }) { channel.close(promise: nil) }
    }

    func close() async {
        dropConnections()
        try? await listener.close()
    }

    /// One connection's handshake; every request after it goes unanswered.
    private final class Admit: ChannelInboundHandler {
        typealias InboundIn = Message
        typealias OutboundOut = Message
        private var handshake: ServerHandshake

        init(token: SharedToken) { handshake = ServerHandshake(token: token) }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch handshake.receive(unwrapInboundIn(data)) {
            case .send(let reply):
                context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
            case .admit(let hello):
                let welcome = Welcome(runID: hello.runID, currentVersion: 0, parameterCount: 1, codecName: "fp32+zstd")
                context.writeAndFlush(wrapOutboundOut(.welcome(welcome)), promise: nil)
            default:
                break
            }
        }
    }
}

/// The error `body` throws within `limit`; nil when it returned, or had not finished by then (it
/// is left running: a request that hangs must fail the test, not hold it for the client's timeout).
private func errorThrown(within limit: Duration, by body: @escaping @Sendable () async throws -> Void) async -> (any Error)? {
    let (outcomes, continuation) = AsyncStream<(any Error)?>.makeStream()
    Task {
        do { try await body(); continuation.yield(nil) } catch { continuation.yield(error) }
        continuation.finish()
    }
    Task {
        try? await Task.sleep(for: limit)
        continuation.finish()
    }
    for await outcome in outcomes { return outcome }
    return nil
}

@Suite struct PSClientTests {
    let token = try! SharedToken("cluster-token")

    @Test func requestAfterTheServerWentAwayFailsAtOnce() async throws {
        let server = try await AdmitOnlyServer(token: token)
        let client = try await PSClient.connect(host: "127.0.0.1", port: server.port, token: token,
                                                clientName: "worker-a", runID: 3)
        server.dropConnections()
        // The client is idle, as a worker between requests is, until it sees the close.
        let patience = ContinuousClock.now + .seconds(10)
        while client.isConnected && ContinuousClock.now < patience { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!client.isConnected)

        let error = await errorThrown(within: .seconds(5)) { _ = try await client.pull() }
        #expect(error as? PSClientError == .connectionClosed, "got \(error.map { "\($0)" } ?? "no answer within 5 s")")
        await client.close()
        await server.close()
    }
}
