import NIOCore
import NIOEmbedded
import Testing
@testable import Wire

/// The frame read deadline on an embedded channel, whose clock the test moves: it counts only
/// the time a frame spends waiting for the peer while the channel asks for more bytes.
@Suite struct FrameReadDeadlineTests {
    /// The bytes of a push frame declaring `payload` bytes, header included.
    private func pushBytes(payload: Int) -> [UInt8] {
        let length = UInt32(payload)
        return FrameFormat.magic + [FrameFormat.version, MessageType.push.rawValue, 0]
            + [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            + [UInt8](repeating: 0, count: payload)
    }

    /// A channel as the server has it after authentication: deadline first, then the decoder.
    private func channel(timeout: TimeAmount) throws -> EmbeddedChannel {
        let limits = FrameLimits(maximumPayload: 1 << 20)
        limits.allowBulk()
        let deadline = FrameReadDeadline(timeout: timeout)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(deadline)
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(limits: limits, deadline: deadline)))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    /// The error the deadline raised, if it did.
    private func timeoutError(_ channel: EmbeddedChannel) -> WireError? {
        do { try channel.throwIfErrorCaught(); return nil } catch { return error as? WireError }
    }

    @Test func aFrameThatStopsWhileTheServerWaitsForItClosesTheConnection() throws {
        let channel = try channel(timeout: .seconds(120))
        let frame = pushBytes(payload: 60_000)
        channel.read()
        try channel.writeInbound(ByteBuffer(bytes: frame[..<20_011]))
        channel.read()
        channel.embeddedEventLoop.advanceTime(by: .seconds(119))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
        #expect(timeoutError(channel) == .frameReadTimeout(seconds: 120, received: 20_011, frameSize: 60_011))
    }

    @Test func timeWhileTheServerWithholdsReadsIsNotCounted() throws {
        let channel = try channel(timeout: .seconds(120))
        let frame = pushBytes(payload: 60_000)
        channel.read()
        try channel.writeInbound(ByteBuffer(bytes: frame[..<20_011]))
        // Busy server: no read requested for far longer than the timeout.
        channel.embeddedEventLoop.advanceTime(by: .seconds(1_000))
        #expect(channel.isActive)
        // It asks again; the peer's bytes come within the timeout.
        channel.read()
        channel.embeddedEventLoop.advanceTime(by: .seconds(100))
        try channel.writeInbound(ByteBuffer(bytes: frame[20_011...]))
        #expect(channel.isActive)
        let decoded = try #require(try channel.readInbound(as: Frame.self))
        #expect(decoded.type == .push && decoded.payload.readableBytes == 60_000)
        #expect(timeoutError(channel) == nil)
    }

    @Test func aTricklingPeerRunsOutOfTimeAcrossReads() throws {
        let channel = try channel(timeout: .seconds(120))
        let frame = pushBytes(payload: 1_000)
        // 100 bytes every 30 s: each wait is short, their sum is not (the wait before the first
        // byte is silence between frames and free).
        var sent = 0
        for _ in 0..<4 {
            channel.read()
            channel.embeddedEventLoop.advanceTime(by: .seconds(30))
            try channel.writeInbound(ByteBuffer(bytes: frame[sent..<sent + 100]))
            sent += 100
        }
        #expect(channel.isActive)
        channel.read()
        channel.embeddedEventLoop.advanceTime(by: .seconds(30))
        #expect(!channel.isActive)
        #expect(timeoutError(channel) == .frameReadTimeout(seconds: 120, received: 400, frameSize: 1_011))
    }

    @Test func eachFrameHasTheFullTimeAndSilenceBetweenFramesIsFree() throws {
        let channel = try channel(timeout: .seconds(120))
        let frame = pushBytes(payload: 100)
        for _ in 0..<3 {
            // A worker computing for ten minutes between pushes, then a frame arriving in two
            // halves 100 s apart: fine each time.
            channel.read()
            channel.embeddedEventLoop.advanceTime(by: .seconds(600))
            try channel.writeInbound(ByteBuffer(bytes: frame[..<50]))
            channel.read()
            channel.embeddedEventLoop.advanceTime(by: .seconds(100))
            try channel.writeInbound(ByteBuffer(bytes: frame[50...]))
            #expect(try channel.readInbound(as: Frame.self) != nil)
        }
        #expect(channel.isActive)
        #expect(timeoutError(channel) == nil)
    }
}
