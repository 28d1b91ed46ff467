import NIOCore

/// Cuts the byte stream into `Frame`s, validating magic, version, type, flags and length
/// before buffering a payload. Any violation throws a `WireError`; the channel then closes.
/// With a `FrameReadDeadline`, tells it where each frame begins and ends.
public struct FrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = Frame
    private let limits: FrameLimits
    private let deadline: FrameReadDeadline?

    /// - Parameters:
    ///   - limits: the connection's payload limits.
    ///   - deadline: the connection's frame read deadline (first in its pipeline); nil for none.
    public init(limits: FrameLimits, deadline: FrameReadDeadline? = nil) {
        self.limits = limits
        self.deadline = deadline
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try Self.parse(&buffer, limits: limits) else {
            deadline?.waiting(buffered: buffer.readableBytes, frameSize: Self.frameSize(in: buffer))
            return .needMoreData
        }
        deadline?.frameCompleted()
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while let frame = try Self.parse(&buffer, limits: limits) {
            context.fireChannelRead(Self.wrapInboundOut(frame))
        }
        if buffer.readableBytes > 0 { throw WireError.truncatedFrame(bufferedBytes: buffer.readableBytes) }
        return .needMoreData
    }

    /// Header and payload bytes of the frame starting at the reader index, once its header has arrived.
    static func frameSize(in buffer: ByteBuffer) -> Int? {
        guard buffer.readableBytes >= FrameFormat.headerSize else { return nil }
        return buffer.getInteger(at: buffer.readerIndex + 7, endianness: .big, as: UInt32.self)
            .map { FrameFormat.headerSize + Int($0) }
    }

    /// Reads one frame if it is complete; nil when more bytes are needed.
    ///
    /// Checks each header field as soon as its bytes have arrived, so garbage is refused after
    /// its first bytes and an oversized length before any payload is buffered.
    /// - Throws: `WireError`.
    public static func parse(_ buffer: inout ByteBuffer, limits: FrameLimits) throws -> Frame? {
        let start = buffer.readerIndex
        let available = buffer.readableBytes
        let magicBytes = min(available, 4)
        if let prefix = buffer.getBytes(at: start, length: magicBytes), prefix != Array(FrameFormat.magic[..<magicBytes]) {
            throw WireError.badMagic(prefix)
        }
        guard available >= FrameFormat.headerSize,
              let version = buffer.getInteger(at: start + 4, as: UInt8.self),
              let rawType = buffer.getInteger(at: start + 5, as: UInt8.self),
              let flags = buffer.getInteger(at: start + 6, as: UInt8.self),
              let length = buffer.getInteger(at: start + 7, endianness: .big, as: UInt32.self)
        else { return nil }
        guard version == FrameFormat.version else { throw WireError.unsupportedVersion(version) }
        guard let type = MessageType(rawValue: rawType) else { throw WireError.unknownMessageType(rawType) }
        guard flags == 0 else { throw WireError.unknownFlags(flags) }
        guard let limit = limits.limit(for: type) else { throw WireError.bulkBeforeAuthentication(type) }
        guard Int(length) <= limit else {
            throw WireError.frameTooLarge(type: type, length: Int(length), limit: limit)
        }
        guard available >= FrameFormat.headerSize + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: FrameFormat.headerSize)
        guard let payload = buffer.readSlice(length: Int(length)) else { return nil }
        return Frame(type: type, flags: flags, payload: payload)
    }
}

/// Writes `Frame`s: header, then payload.
public struct FrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = Frame

    public init() {}

    public func encode(data frame: Frame, out: inout ByteBuffer) throws {
        precondition(frame.payload.readableBytes <= Int(UInt32.max), "payload too large for a frame")
        out.reserveCapacity(minimumWritableBytes: FrameFormat.headerSize + frame.payload.readableBytes)
        out.writeBytes(FrameFormat.magic)
        out.writeInteger(FrameFormat.version)
        out.writeInteger(frame.type.rawValue)
        out.writeInteger(frame.flags)
        out.writeInteger(UInt32(frame.payload.readableBytes), endianness: .big)
        var payload = frame.payload
        out.writeBuffer(&payload)
    }
}

/// Turns frames into messages and back: the only handler that knows message layouts.
public final class MessageCodecHandler: ChannelDuplexHandler, Sendable {
    public typealias InboundIn = Frame
    public typealias InboundOut = Message
    public typealias OutboundIn = Message
    public typealias OutboundOut = Frame

    public init() {}

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            let message = try Message(frame: unwrapInboundIn(data))
            context.fireChannelRead(wrapInboundOut(message))
        } catch {
            context.fireErrorCaught(error)
        }
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = unwrapOutboundIn(data).frame(allocator: context.channel.allocator)
        context.write(wrapOutboundOut(frame), promise: promise)
    }
}
