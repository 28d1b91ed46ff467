import NIOCore

/// The time one frame may take to arrive: armed when its first byte is buffered, disarmed when
/// the frame is complete. A peer that starts a frame and stalls, or trickles it, is cut off, so
/// it cannot keep up to a maximum payload buffered for ever.
///
/// Only frames are timed, not the silence between them: a worker may compute for minutes
/// between two pushes, and an idle connection buffers nothing.
///
/// Used by `FrameDecoder` on its channel's event loop only.
final class FrameReadDeadline {
    let timeout: TimeAmount
    private var scheduled: Scheduled<Void>?
    /// Bytes of the incomplete frame buffered so far, and its size once its header has arrived.
    private var buffered = 0
    private var frameSize: Int?

    init(timeout: TimeAmount) { self.timeout = timeout }

    /// Notes that part of a frame is buffered; arms the deadline if this is its first byte.
    ///
    /// On expiry the pipeline sees `WireError.frameReadTimeout` (the server logs it with the
    /// peer) and the channel closes at once, freeing what was buffered even while the server is
    /// busy with an earlier request.
    func waiting(buffered: Int, frameSize: Int?, context: ChannelHandlerContext) {
        self.buffered = buffered
        self.frameSize = frameSize
        guard scheduled == nil, buffered > 0 else { return }
        scheduled = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            scheduled = nil
            context.fireErrorCaught(WireError.frameReadTimeout(
                seconds: Double(timeout.nanoseconds) / 1e9, received: self.buffered, frameSize: self.frameSize))
            context.close(promise: nil)
        }
    }

    /// The frame is complete, or the connection is ending: nothing more to time.
    func disarm() {
        scheduled?.cancel()
        scheduled = nil
        buffered = 0
        frameSize = nil
    }
}
