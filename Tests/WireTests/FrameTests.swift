import NIOCore
import Testing
@testable import Wire

@Suite struct FrameTests {
    static let allMessages: [Message] = [
        .hello(Hello(clientName: "worker-é1", runID: 7)),
        .hello(Hello(clientName: "w2", runID: 7, shard: 2, shards: 4)),
        .challenge(nonce: Array(0..<32)),
        .auth(mac: Array(repeating: 9, count: 32)),
        .welcome(Welcome(runID: 7, currentVersion: 12, parameterCount: 23_643_329, codecName: "topk+fp16+zstd")),
        .welcome(Welcome(runID: 7, currentVersion: 12, parameterCount: 9, codecName: "fp32+zstd", pullCodecName: "topk+bf16+zstd")),
        .welcome(Welcome(runID: 7, currentVersion: 3, parameterCount: 5, codecName: "fp16+zstd",
                         range: ServedRange(shard: 1, shards: 3, lower: 10, upper: 15))),
        .refused(reason: "wrong token"),
        .pull(Pull(runID: 7, sinceVersion: 3)),
        .pull(Pull(runID: 7, sinceVersion: 3, anchorVersion: 2)),
        .params(Params(version: 4, encoding: .fp32Zstd, payload: ByteBuffer(bytes: [1, 2, 3]))),
        .params(Params(version: 4, encoding: .unchanged, payload: ByteBuffer())),
        .params(Params(version: 9, encoding: .delta, anchorVersion: 5, increments: [ByteBuffer(bytes: [4, 5])])),
        .params(Params(version: 9, encoding: .delta, anchorVersion: 5,
                       increments: [ByteBuffer(bytes: [4, 5]), ByteBuffer(bytes: [6])])),
        .params(Params(version: 9, encoding: .anchorAndDelta, anchorVersion: 9, anchor: ByteBuffer(bytes: [7, 7, 7]),
                       increments: [])),
        .params(Params(version: 9, encoding: .anchorAndDelta, anchorVersion: 5, anchor: ByteBuffer(bytes: [7]),
                       increments: [ByteBuffer(bytes: [1, 2])])),
        .push(Push(runID: 7, baseVersion: 3, sampleCount: 32, loss: 1.25, codecName: "fp32+zstd",
                   payload: ByteBuffer(bytes: [5, 6]))),
        .ack(Ack(newVersion: 5, staleness: 1, status: .refused, reason: "too stale")),
        .bye,
        .error(reason: "boom"),
    ]

    /// Encodes a message into wire bytes as the pipeline would.
    static func wireBytes(_ message: Message) throws -> ByteBuffer {
        var out = ByteBuffer()
        try FrameEncoder().encode(data: message.frame(), out: &out)
        return out
    }

    private func bulkLimits() -> FrameLimits {
        let limits = FrameLimits(maximumPayload: 1 << 20)
        limits.allowBulk()
        return limits
    }

    @Test func everyMessageRoundTrips() throws {
        for message in Self.allMessages {
            var bytes = try Self.wireBytes(message)
            let frame = try #require(try FrameDecoder.parse(&bytes, limits: bulkLimits()))
            #expect(try Message(frame: frame) == message)
            #expect(bytes.readableBytes == 0)
        }
    }

    @Test func partialFramesWaitForMoreBytes() throws {
        let whole = try Self.wireBytes(Self.allMessages[3])
        for cut in 0..<whole.readableBytes {
            var part = whole.getSlice(at: 0, length: cut)!
            #expect(try FrameDecoder.parse(&part, limits: bulkLimits()) == nil)
        }
    }

    @Test func badHeadersAreRefused() throws {
        var garbage = ByteBuffer(bytes: Array("GET / HTTP/1.1\r\n".utf8))
        #expect(throws: WireError.badMagic(Array("GET ".utf8))) { try FrameDecoder.parse(&garbage, limits: bulkLimits()) }
        var early = ByteBuffer(bytes: [0x43, 0x00])  // "C" then wrong: refused before the header is complete
        #expect(throws: WireError.self) { try FrameDecoder.parse(&early, limits: bulkLimits()) }
        let good = try Self.wireBytes(.bye)
        func patched(_ index: Int, _ value: UInt8) -> ByteBuffer {
            var b = good
            b.setInteger(value, at: index)
            return b
        }
        var version = patched(4, 9), type = patched(5, 200), flags = patched(6, 1)
        #expect(throws: WireError.unsupportedVersion(9)) { try FrameDecoder.parse(&version, limits: bulkLimits()) }
        #expect(throws: WireError.unknownMessageType(200)) { try FrameDecoder.parse(&type, limits: bulkLimits()) }
        #expect(throws: WireError.unknownFlags(1)) { try FrameDecoder.parse(&flags, limits: bulkLimits()) }
    }

    @Test func lengthLimitsApplyBeforeBuffering() throws {
        func header(_ type: MessageType, length: UInt32) -> ByteBuffer {
            var b = ByteBuffer(bytes: FrameFormat.magic)
            b.writeInteger(FrameFormat.version)
            b.writeInteger(type.rawValue)
            b.writeInteger(UInt8(0))
            b.writeInteger(length, endianness: .big)
            return b
        }
        let closed = FrameLimits(maximumPayload: 1 << 20)
        var control = header(.hello, length: 5000)
        #expect(throws: WireError.frameTooLarge(type: .hello, length: 5000, limit: 4096)) {
            try FrameDecoder.parse(&control, limits: closed)
        }
        var early = header(.push, length: 10)
        #expect(throws: WireError.bulkBeforeAuthentication(.push)) { try FrameDecoder.parse(&early, limits: closed) }
        var big = header(.push, length: (1 << 20) + 1)
        #expect(throws: WireError.frameTooLarge(type: .push, length: (1 << 20) + 1, limit: 1 << 20)) {
            try FrameDecoder.parse(&big, limits: bulkLimits())
        }
    }

    @Test func malformedPayloadsThrowNamingTheField() throws {
        // Every truncation of every fixed-layout message payload throws.
        for message in Self.allMessages where !message.type.isBulk && message != .bye {
            let frame = message.frame()
            for cut in 0..<frame.payload.readableBytes {
                let short = Frame(type: frame.type, payload: frame.payload.getSlice(at: 0, length: cut)!)
                #expect(throws: WireError.self) { try Message(frame: short) }
            }
            var long = frame
            long.payload.writeInteger(UInt8(0))
            #expect(throws: WireError.self) { try Message(frame: long) }
        }
        var badUTF8 = ByteBuffer()
        badUTF8.writeInteger(UInt16(2), endianness: .big)
        badUTF8.writeBytes([0xC3, 0x28])
        #expect(throws: WireError.malformed(type: .error, why: "reason is not valid UTF-8")) {
            try Message(frame: Frame(type: .error, payload: badUTF8))
        }
        var hugeName = ByteBuffer(bytes: [1, 0, 0, 0, 0, 0, 0, 0, 7])
        hugeName.writeInteger(UInt16(65_000), endianness: .big)
        #expect(throws: WireError.self) { try Message(frame: Frame(type: .hello, payload: hugeName)) }
    }

    @Test func deltaParamsWithImpossibleFieldsAreRefused() throws {
        func params(_ fields: (inout ByteBuffer) -> Void) -> Frame {
            var b = ByteBuffer()
            fields(&b)
            return Frame(type: .params, payload: b)
        }
        // An anchor longer than what follows it, an empty anchor, an anchor after the parameters,
        // a publication count or length the frame cannot hold, a delta with nothing in it.
        let cases: [(Frame, String)] = [
            (params { $0.writeInteger(UInt64(9)); $0.writeInteger(UInt8(3)); $0.writeInteger(UInt64(5))
                      $0.writeInteger(UInt64(100)); $0.writeBytes([1, 2]) }, "anchor length 100 with 2 bytes left"),
            (params { $0.writeInteger(UInt64(9)); $0.writeInteger(UInt8(3)); $0.writeInteger(UInt64(5))
                      $0.writeInteger(UInt64(0)) }, "anchor length 0"),
            (params { $0.writeInteger(UInt64(4)); $0.writeInteger(UInt8(2)); $0.writeInteger(UInt64(5))
                      $0.writeBytes([1]) }, "anchor version 5 is after the parameters' version 4"),
            (params { $0.writeInteger(UInt64(4)); $0.writeInteger(UInt8(2)); $0.writeBytes([1, 2, 3]) }, "truncated at anchor version"),
            (params { $0.writeInteger(UInt64(4)); $0.writeInteger(UInt8(4)) }, "unknown encoding 4"),
            (params { $0.writeInteger(UInt64(9)); $0.writeInteger(UInt8(2)); $0.writeInteger(UInt64(5))
                      $0.writeInteger(UInt32.max) }, "4294967295 publications in 0 bytes"),
            (params { $0.writeInteger(UInt64(9)); $0.writeInteger(UInt8(2)); $0.writeInteger(UInt64(5))
                      $0.writeInteger(UInt32(1)); $0.writeInteger(UInt64(1 << 40)) }, "publication 1 length 1099511627776 with 0 bytes left"),
            (params { $0.writeInteger(UInt64(9)); $0.writeInteger(UInt8(2)); $0.writeInteger(UInt64(5))
                      $0.writeInteger(UInt32(0)) }, "a delta without publications"),
        ]
        for (frame, why) in cases {
            #expect {
                try Message(frame: frame)
            } throws: { error in
                "\(error)".contains(why)
            }
        }
    }

    /// Shard fields that name no shard, or a range that does not hold the announced count.
    @Test func impossibleShardFieldsAreRefused() throws {
        func hello(shard: UInt32, shards: UInt32) -> Frame {
            var out = ByteBuffer()
            out.writeInteger(FrameFormat.version)
            out.writeInteger(UInt64(7))
            out.writeInteger(shard)
            out.writeInteger(shards)
            out.writeInteger(UInt16(1))
            out.writeBytes([0x77])
            return Frame(type: .hello, payload: out)
        }
        #expect(throws: WireError.malformed(type: .hello, why: "shard 4 of 4 does not exist (shards count from 0)")) {
            try Message(frame: hello(shard: 4, shards: 4))
        }
        #expect(throws: WireError.self) { try Message(frame: hello(shard: 0, shards: 0)) }
        #expect(try Message(frame: hello(shard: 3, shards: 4)) == .hello(Hello(clientName: "w", runID: 7, shard: 3, shards: 4)))

        var welcome = Message.welcome(Welcome(runID: 7, currentVersion: 1, parameterCount: 5, codecName: "fp32+zstd",
                                              range: ServedRange(shard: 0, shards: 2, lower: 0, upper: 6))).frame()
        #expect(throws: WireError.malformed(type: .welcome, why: "range 0..<6 does not hold the 5 parameters announced")) {
            try Message(frame: welcome)
        }
        welcome = Message.welcome(Welcome(runID: 7, currentVersion: 1, parameterCount: 5, codecName: "fp32+zstd",
                                          range: ServedRange(shard: 2, shards: 2, lower: 0, upper: 5))).frame()
        #expect(throws: WireError.malformed(type: .welcome, why: "shard 2 of 2 does not exist")) { try Message(frame: welcome) }
    }

    @Test func longReasonsAreCutNotFatal() throws {
        let reason = String(repeating: "é", count: 1000)  // 2000 bytes of UTF-8
        let decoded = try Message(frame: Message.refused(reason: reason).frame())
        guard case .refused(let cut) = decoded else { Issue.record("not refused"); return }
        #expect(cut.utf8.count <= Message.Limits.reason)
        #expect(reason.hasPrefix(cut))
    }
}
