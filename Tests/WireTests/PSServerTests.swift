import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
@testable import Wire

/// An in-memory parameter server: enough to exercise the protocol, not the training logic.
private final class ArenaDelegate: ParameterServerDelegate {
    struct State { var arena: [Float]; var version: UInt64 = 0 }
    let state: NIOLockedValueBox<State>
    let runID: UInt64 = 3

    init(count: Int) { state = NIOLockedValueBox(State(arena: (0..<count).map { Float($0) })) }

    func welcome(_ hello: Hello) async throws -> Welcome {
        guard hello.runID == runID else { throw PSClientError.invalidArgument("no run \(hello.runID)") }
        return state.withLockedValue {
            Welcome(runID: runID, currentVersion: $0.version, parameterCount: UInt64($0.arena.count), codecName: "fp32+zstd")
        }
    }

    func handlePull(_ pull: Pull, from client: Hello) async throws -> Params {
        let (arena, version) = state.withLockedValue { ($0.arena, $0.version) }
        if pull.sinceVersion == version { return Params(version: version, encoding: .unchanged, payload: ByteBuffer()) }
        let bytes = try FP32ZstdCodec().encode(arena, layout: [arena.count])
        return Params(version: version, encoding: .fp32Zstd, payload: ByteBuffer(bytes: bytes))
    }

    func handlePush(_ push: Push, from client: Hello) async throws -> Ack {
        let codec = try GradientCodecs.named(push.codecName)
        let count = state.withLockedValue { $0.arena.count }
        var gradient = [Float](repeating: 0, count: count)
        try codec.decode(Array(buffer: push.payload), into: &gradient)
        return state.withLockedValue { s in
            for i in 0..<count { s.arena[i] += gradient[i] }
            s.version += 1
            return Ack(newVersion: s.version, staleness: s.version - 1 - push.baseVersion, status: .applied)
        }
    }
}

/// A bare TCP connection that sends raw bytes and collects whatever comes back until the
/// server closes it (or a 60 s guard closes it, which the test then reports; generous, because
/// the suite runs it beside end-to-end training on two cores and only liveness is asserted).
private final class RawPeer: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let received = NIOLockedValueBox(ByteBuffer())
    let timedOut = NIOLockedValueBox(false)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        received.withLockedValue { $0.writeBuffer(&bytes) }
    }

    /// Sends `bytes`, waits for the server to close, returns the frames it sent.
    static func exchange(port: Int, bytes: [UInt8]) async throws -> (messages: [Message], timedOut: Bool) {
        let peer = RawPeer()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { $0.pipeline.addHandler(peer) }
            .connect(host: "127.0.0.1", port: port).get()
        let guardTask = channel.eventLoop.scheduleTask(in: .seconds(60)) {
            // Closed already: the server was in time, only this task has not resumed yet.
            guard channel.isActive else { return }
            peer.timedOut.withLockedValue { $0 = true }
            channel.close(promise: nil)
        }
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
        try await channel.closeFuture.get()
        guardTask.cancel()
        var buffer = peer.received.withLockedValue { $0 }
        let limits = FrameLimits()
        var messages: [Message] = []
        while let frame = try FrameDecoder.parse(&buffer, limits: limits) { messages.append(try Message(frame: frame)) }
        return (messages, peer.timedOut.withLockedValue { $0 })
    }
}

@Suite struct PSServerTests {
    let token = try! SharedToken("cluster-token")

    /// Runs `body` against a live server on 127.0.0.1 with a free port.
    private func withServer(_ configure: (inout PSServerConfiguration) -> Void = { _ in },
                            _ body: (Int, ArenaDelegate) async throws -> Void) async throws {
        try await serving(configure, body)
    }

    private func serving(_ configure: (inout PSServerConfiguration) -> Void,
                         _ body: (Int, ArenaDelegate) async throws -> Void) async throws {
        let delegate = ArenaDelegate(count: 1000)
        var configuration = PSServerConfiguration(token: token, port: 0)
        configuration.maximumPayload = 1 << 16
        configure(&configuration)
        var logger = Logger(label: "test.ps")
        logger.logLevel = .critical
        let server = try await PSServer.bind(configuration: configuration, delegate: delegate, logger: logger)
        let running = Task { try await server.run() }
        do {
            try await body(server.port, delegate)
        } catch {
            await server.close()
            throw error
        }
        await server.close()
        try await running.value
    }

    private func connect(_ port: Int, token: SharedToken? = nil, run: UInt64 = 3) async throws -> PSClient {
        try await PSClient.connect(host: "127.0.0.1", port: port, token: token ?? self.token,
                                   clientName: "worker-a", runID: run, maximumPayload: 1 << 16)
    }

    @Test func clientPullsAndPushes() async throws {
        try await withServer { port, delegate in
            let client = try await connect(port)
            #expect(client.welcome == Welcome(runID: 3, currentVersion: 0, parameterCount: 1000, codecName: "fp32+zstd"))
            let params = try await client.pull()
            var arena = [Float](repeating: 0, count: 1000)
            try FP32ZstdCodec().decode(Array(buffer: params.payload), into: &arena)
            #expect(arena == (0..<1000).map { Float($0) })
            #expect(try await client.pull(sinceVersion: 0).encoding == .unchanged)

            let gradient = [Float](repeating: 0.5, count: 1000)
            // Sparse on purpose (no dense small tensors), so the arithmetic below is exact.
            let codec = try TopKCodec(fraction: 0.01, values: .fp16)
            let payload = try codec.encode(gradient, layout: [400, 600])
            let ack = try await client.push(baseVersion: 0, sampleCount: 32, loss: 2.5, codecName: codec.name, payload: payload)
            #expect(ack == Ack(newVersion: 1, staleness: 0, status: .applied))
            // Top-1 % of two tensors: 4 + 6 entries of 0.5 arrived.
            let total = delegate.state.withLockedValue { $0.arena.reduce(0, +) }
            #expect(total == Float(999 * 1000 / 2) + 10 * 0.5)
            let after = try await client.pull(sinceVersion: 0)
            #expect(after.version == 1 && after.encoding == .fp32Zstd)
            await client.bye()
        }
    }

    @Test func wrongTokenAndUnknownRunAreRefused() async throws {
        try await withServer { port, _ in
            await #expect(throws: PSClientError.authenticationFailed("authentication failed for client 'worker-a': wrong token")) {
                try await connect(port, token: try SharedToken("guess"))
            }
            await #expect { try await connect(port, run: 99) } throws: {
                guard case .refused = $0 as? PSClientError else { return false }
                return true
            }
            let good = try await connect(port)
            #expect(try await good.pull().version == 0)
            await good.bye()
        }
    }

    @Test func garbageAndOversizedFramesCloseOnlyThatConnection() async throws {
        try await withServer { port, _ in
            let good = try await connect(port)
            let garbage = try await RawPeer.exchange(port: port, bytes: Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            #expect(!garbage.timedOut)
            #expect(garbage.messages.count == 1)  // the error naming the bad magic

            var oversized = FrameFormat.magic + [FrameFormat.version, MessageType.hello.rawValue, 0]
            oversized += [0x00, 0x10, 0x00, 0x00]  // 1 MiB hello: over the 4 KiB control limit
            let big = try await RawPeer.exchange(port: port, bytes: oversized)
            #expect(!big.timedOut)
            if case .error(let reason) = big.messages.first { #expect(reason.contains("exceeds the limit")) }
            else { Issue.record("expected an error frame, got \(big.messages)") }

            // The connection opened before, and a new one, still work.
            #expect(try await good.pull().version == 0)
            let second = try await connect(port)
            #expect(try await second.pull(sinceVersion: 0).encoding == .unchanged)
            await good.bye()
            await second.bye()
        }
    }

    @Test func messageBeforeAuthenticationIsRefused() async throws {
        try await withServer { port, _ in
            var bytes = ByteBuffer()
            try FrameEncoder().encode(data: Message.pull(Pull(runID: 3)).frame(), out: &bytes)
            let reply = try await RawPeer.exchange(port: port, bytes: Array(buffer: bytes))
            #expect(!reply.timedOut)
            #expect(reply.messages == [.refused(reason: "pull before authentication")])
            // A push frame before authentication is refused by the framing layer itself.
            var push = FrameFormat.magic + [FrameFormat.version, MessageType.push.rawValue, 0, 0, 0, 0, 8]
            push += [UInt8](repeating: 0, count: 8)
            let early = try await RawPeer.exchange(port: port, bytes: push)
            #expect(!early.timedOut)
            #expect(early.messages == [.error(reason: "push frame before authentication")])
        }
    }

    @Test func aFrameThatStopsHalfWayClosesTheConnection() async throws {
        try await withServer({ $0.frameReadTimeout = .seconds(1) }) { port, _ in
            let good = try await connect(port)
            // A push declaring 60,000 payload bytes, of which 20,000 arrive: then nothing.
            var partial = FrameFormat.magic + [FrameFormat.version, MessageType.push.rawValue, 0]
            partial += [0x00, 0x00, 0xEA, 0x60] + [UInt8](repeating: 0, count: 20_000)
            let outcome = try await RawAuthenticatedPeer.send(partial, port: port, token: token, run: 3,
                                                             awaitingCloseFor: .seconds(300))
            #expect(outcome.closed, "the server kept a half-sent frame for 300 s (\(outcome.stage))")
            // Other connections are not affected.
            #expect(try await good.pull().version == 0)
            await good.bye()
        }
    }

    @Test func silenceBetweenFramesIsNotTimed() async throws {
        try await withServer({ $0.frameReadTimeout = .milliseconds(300) }) { port, _ in
            let client = try await connect(port)
            #expect(try await client.pull().version == 0)
            // Idle for several frame deadlines, as a worker computing a minibatch is.
            try await Task.sleep(for: .seconds(1))
            #expect(try await client.pull(sinceVersion: 0).encoding == .unchanged)
            await client.bye()
        }
    }
}

/// A bare TCP connection that authenticates as a worker does, then writes raw bytes below the
/// framing layer (a frame cut short, say) and waits for the server to close.
private enum RawAuthenticatedPeer {
    /// Authenticates, writes `bytes`, then reads until the server closes.
    /// - Returns: whether the server closed before `limit` passed (else the connection is closed
    ///   here), and how far the exchange had got, for a failure message.
    static func send(_ bytes: [UInt8], port: Int, token: SharedToken, run: UInt64,
                     awaitingCloseFor limit: TimeAmount) async throws -> (closed: Bool, stage: String) {
        let started = ContinuousClock.now
        let stage = NIOLockedValueBox("connecting")
        func reached(_ what: String) { stage.withLockedValue { $0 = "\(what) after \(ContinuousClock.now - started)" } }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let guardFired = NIOLockedValueBox(false)
        let guardTask = channel.channel.eventLoop.scheduleTask(in: limit) { [channel = channel.channel] in
            guard channel.isActive else { return }
            guardFired.withLockedValue { $0 = true }
            channel.close(promise: nil)
        }
        defer { guardTask.cancel() }
        try await channel.executeThenClose { inbound, outbound in
            var replies = FrameReader(inbound: inbound.makeAsyncIterator())
            let name = "raw-peer"
            try await outbound.write(try FrameTests.wireBytes(.hello(Hello(clientName: name, runID: run))))
            reached("hello sent")
            guard case .challenge(let nonce) = try await replies.next() else { throw PSClientError.connectionClosed }
            let mac = HandshakeAuth.mac(token: token, nonce: nonce, clientName: name)
            try await outbound.write(try FrameTests.wireBytes(.auth(mac: mac)))
            reached("auth sent")
            guard case .welcome = try await replies.next() else { throw PSClientError.connectionClosed }
            try await outbound.write(ByteBuffer(bytes: bytes))
            reached("welcome received and bytes written")
            do {
                while try await replies.next() != nil {}
            } catch {
                // A reset is a close too.
            }
            reached("closed by the server")
        }
        return (!guardFired.withLockedValue { $0 }, stage.withLockedValue { $0 })
    }

    /// Cuts the server's bytes into messages.
    private struct FrameReader {
        var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        var received = ByteBuffer()

        /// The next whole message, or nil once the server closed.
        mutating func next() async throws -> Message? {
            while true {
                if let frame = try FrameDecoder.parse(&received, limits: FrameLimits()) { return try Message(frame: frame) }
                guard var more = try await inbound.next() else { return nil }
                received.writeBuffer(&more)
            }
        }
    }
}
