import NIOCore

/// The time one frame may spend arriving, counted only while the connection is waiting for the
/// peer: a peer that starts a frame and stops, or trickles it, is cut off, so it cannot keep up
/// to a maximum payload buffered for ever.
///
/// The clock runs while a frame is incomplete *and* the channel has asked for more bytes (a
/// read is outstanding). While the server is busy and withholds reads (NIOAsyncChannel's
/// back-pressure), the wait is the server's, not the peer's, and is not counted. The silence
/// between frames is not counted either: a worker may compute for minutes between two pushes,
/// and an idle connection buffers nothing.
///
/// Sits first in the pipeline, next to the socket, to see every read request and every byte;
/// `FrameDecoder` tells it where frames begin and end. On expiry the pipeline sees
/// `WireError.frameReadTimeout` (the server logs it with the peer) and the channel closes at
/// once, freeing what was buffered. Event loop only.
public final class FrameReadDeadline: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    public let timeout: TimeAmount
    /// What is left of `timeout` for the incomplete frame.
    private var remaining: TimeAmount
    /// Bytes of the incomplete frame buffered so far (0: no frame under way), and its size once
    /// its header has arrived.
    private var buffered = 0
    private var frameSize: Int?
    private var readOutstanding = false
    private var clockStarted: NIODeadline?
    private var expiry: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    public init(timeout: TimeAmount) {
        self.timeout = timeout
        remaining = timeout
    }

    // MARK: what the decoder reports

    /// Part of a frame is buffered (`buffered` bytes; 0 when the buffer is empty between frames).
    func waiting(buffered: Int, frameSize: Int?) {
        self.buffered = buffered
        self.frameSize = frameSize
        startClockIfWaiting()
    }

    /// A frame arrived whole: the next one has the full timeout again.
    func frameCompleted() {
        stopClock()
        buffered = 0
        frameSize = nil
        remaining = timeout
    }

    // MARK: the channel's events

    public func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    public func handlerRemoved(context: ChannelHandlerContext) {
        stopClock()
        self.context = nil
    }

    public func read(context: ChannelHandlerContext) {
        readOutstanding = true
        startClockIfWaiting()
        context.read()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        readOutstanding = false
        stopClock()
        context.fireChannelRead(data)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        stopClock()
        context.fireChannelInactive()
    }

    // MARK: the clock

    private func startClockIfWaiting() {
        guard buffered > 0, readOutstanding, clockStarted == nil, let context else { return }
        let now = context.eventLoop.now
        clockStarted = now
        expiry = context.eventLoop.assumeIsolated().scheduleTask(deadline: now + remaining) { [self] in
            expire()
        }
    }

    private func stopClock() {
        guard let started = clockStarted, let context else { return }
        remaining = remaining - (context.eventLoop.now - started)
        clockStarted = nil
        expiry?.cancel()
        expiry = nil
    }

    private func expire() {
        clockStarted = nil
        expiry = nil
        guard let context else { return }
        context.fireErrorCaught(WireError.frameReadTimeout(
            seconds: Double(timeout.nanoseconds) / 1e9, received: buffered, frameSize: frameSize))
        context.close(promise: nil)
    }
}
