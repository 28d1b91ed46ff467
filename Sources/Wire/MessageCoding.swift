import NIOCore

/// Byte layouts of the messages (all integers big endian; strings are a UInt16 length then
/// UTF-8, each with a field-specific maximum):
///
///     hello      u8 protocol version, u64 run, u32 shard, u32 shards, string client name (1–64)
///     challenge  32 bytes nonce
///     auth       32 bytes HMAC-SHA256(token, nonce ‖ client name)
///     welcome    u64 run, u64 current version, u64 parameter count, string codec (≤ 64),
///                string pull codec (≤ 64; empty: exact pulls), u32 shard, u32 shards,
///                u64 range lower, u64 range upper (upper − lower = parameter count)
///     refused    string reason (≤ 1024)
///     pull       u64 run, u64 since version, u64 anchor version
///     params     u64 version, u8 encoding, then by encoding:
///                  unchanged, fp32Zstd: rest: payload (none for unchanged)
///                  delta: u64 anchor version, u32 n, n × (u64 length, publication)
///                  anchorAndDelta: u64 anchor version, u64 anchor length, anchor,
///                                  u32 n, n × (u64 length, publication)
///     push       u64 run, u64 base version, u32 samples, u32 loss (fp32 bits),
///                string codec (≤ 64), rest: payload
///     ack        u64 new version, u64 staleness, u8 status, string reason (≤ 1024)
///     bye        empty
///     error      string reason (≤ 1024)
///
/// Every field is bounds-checked and fixed-layout messages must be consumed exactly.
extension Message {
    /// Limits on string fields, in bytes of UTF-8.
    public enum Limits {
        public static let clientName = 64
        public static let codecName = 64
        public static let reason = 1024
        public static let nonce = 32
    }

    /// The frame carrying this message.
    public func frame(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> Frame {
        var out = allocator.buffer(capacity: 64)
        switch self {
        case .hello(let h):
            out.writeInteger(h.protocolVersion)
            out.writeInteger(h.runID)
            out.writeInteger(h.shard)
            out.writeInteger(h.shards)
            out.writeField(h.clientName, limit: Limits.clientName)
        case .challenge(let nonce): out.writeBytes(nonce)
        case .auth(let mac): out.writeBytes(mac)
        case .welcome(let w):
            out.writeInteger(w.runID)
            out.writeInteger(w.currentVersion)
            out.writeInteger(w.parameterCount)
            out.writeField(w.codecName, limit: Limits.codecName)
            out.writeField(w.pullCodecName, limit: Limits.codecName)
            out.writeInteger(w.range.shard)
            out.writeInteger(w.range.shards)
            out.writeInteger(w.range.lower)
            out.writeInteger(w.range.upper)
        case .refused(let reason), .error(let reason):
            out.writeField(reason, limit: Limits.reason)
        case .pull(let p):
            out.writeInteger(p.runID)
            out.writeInteger(p.sinceVersion)
            out.writeInteger(p.anchorVersion)
        case .params(let p):
            out.writeInteger(p.version)
            out.writeInteger(p.encoding.rawValue)
            switch p.encoding {
            case .unchanged, .fp32Zstd: break
            case .delta, .anchorAndDelta:
                var whole = allocator.buffer(capacity: 32 + p.byteCount + 8 * p.increments.count)
                whole.writeBuffer(&out)
                whole.writeInteger(p.anchorVersion)
                if p.encoding == .anchorAndDelta {
                    var anchor = p.anchor
                    whole.writeInteger(UInt64(anchor.readableBytes))
                    whole.writeBuffer(&anchor)
                }
                whole.writeInteger(UInt32(p.increments.count))
                for var increment in p.increments {
                    whole.writeInteger(UInt64(increment.readableBytes))
                    whole.writeBuffer(&increment)
                }
                return Frame(type: .params, payload: whole)
            }
            // The payload travels as its own buffer: the frame encoder copies it once.
            return Frame(type: .params, payload: out.joined(with: p.payload, allocator: allocator))
        case .push(let p):
            out.writeInteger(p.runID)
            out.writeInteger(p.baseVersion)
            out.writeInteger(p.sampleCount)
            out.writeInteger(p.loss.bitPattern)
            out.writeField(p.codecName, limit: Limits.codecName)
            return Frame(type: .push, payload: out.joined(with: p.payload, allocator: allocator))
        case .ack(let a):
            out.writeInteger(a.newVersion)
            out.writeInteger(a.staleness)
            out.writeInteger(a.status.rawValue)
            out.writeField(a.reason, limit: Limits.reason)
        case .bye: break
        }
        return Frame(type: type, payload: out)
    }

    /// Parses a frame's payload.
    /// - Throws: `WireError.malformed` naming the message and field.
    public init(frame: Frame) throws {
        var r = FieldReader(type: frame.type, buffer: frame.payload)
        switch frame.type {
        case .hello:
            let version = try r.u8("protocol version")
            let run = try r.u64("run")
            let shard = try r.u32("shard"), shards = try r.u32("shards")
            guard shards >= 1, shard < shards else { throw r.malformed("shard \(shard) of \(shards) does not exist (shards count from 0)") }
            let name = try r.string("client name", limit: Limits.clientName)
            guard !name.isEmpty else { throw r.malformed("client name is empty") }
            self = .hello(Hello(clientName: name, protocolVersion: version, runID: run, shard: shard, shards: shards))
        case .challenge: self = .challenge(nonce: try r.bytes("nonce", count: Limits.nonce))
        case .auth: self = .auth(mac: try r.bytes("mac", count: 32))
        case .welcome:
            let run = try r.u64("run"), version = try r.u64("current version"), count = try r.u64("parameter count")
            let codec = try r.string("codec", limit: Limits.codecName)
            let pullCodec = try r.string("pull codec", limit: Limits.codecName)
            let range = ServedRange(shard: try r.u32("shard"), shards: try r.u32("shards"),
                                    lower: try r.u64("range lower"), upper: try r.u64("range upper"))
            guard range.shards >= 1, range.shard < range.shards else {
                throw r.malformed("shard \(range.shard) of \(range.shards) does not exist")
            }
            guard range.lower <= range.upper, range.upper - range.lower == count else {
                throw r.malformed("range \(range.lower)..<\(range.upper) does not hold the \(count) parameters announced")
            }
            self = .welcome(Welcome(runID: run, currentVersion: version, parameterCount: count, codecName: codec,
                                    pullCodecName: pullCodec, range: range))
        case .refused: self = .refused(reason: try r.string("reason", limit: Limits.reason))
        case .error: self = .error(reason: try r.string("reason", limit: Limits.reason))
        case .pull:
            self = .pull(Pull(runID: try r.u64("run"), sinceVersion: try r.u64("since version"),
                              anchorVersion: try r.u64("anchor version")))
        case .params:
            let version = try r.u64("version")
            let raw = try r.u8("encoding")
            guard let encoding = ParameterEncoding(rawValue: raw) else { throw r.malformed("unknown encoding \(raw)") }
            switch encoding {
            case .unchanged, .fp32Zstd:
                let payload = r.rest()
                if encoding == .unchanged && payload.readableBytes > 0 {
                    throw r.malformed("'unchanged' params carry \(payload.readableBytes) payload bytes")
                }
                self = .params(Params(version: version, encoding: encoding, payload: payload))
            case .delta, .anchorAndDelta:
                let anchorVersion = try r.u64("anchor version")
                guard anchorVersion <= version else {
                    throw r.malformed("anchor version \(anchorVersion) is after the parameters' version \(version)")
                }
                var anchor = ByteBuffer()
                if encoding == .anchorAndDelta {
                    let length = try r.u64("anchor length")
                    guard length > 0, length <= UInt64(r.remaining) else {
                        throw r.malformed("anchor length \(length) with \(r.remaining) bytes left")
                    }
                    anchor = try r.slice("anchor", length: Int(length))
                }
                let count = try r.u32("publication count")
                // Each publication takes at least its 8-byte length: a count cannot outgrow the frame.
                guard UInt64(count) * 8 <= UInt64(r.remaining) else {
                    throw r.malformed("\(count) publications in \(r.remaining) bytes")
                }
                var increments: [ByteBuffer] = []
                increments.reserveCapacity(Int(count))
                for index in 0..<Int(count) {
                    let length = try r.u64("publication \(index + 1) length")
                    guard length > 0, length <= UInt64(r.remaining) else {
                        throw r.malformed("publication \(index + 1) length \(length) with \(r.remaining) bytes left")
                    }
                    increments.append(try r.slice("publication \(index + 1)", length: Int(length)))
                }
                if encoding == .delta && increments.isEmpty {
                    throw r.malformed("a delta without publications")
                }
                self = .params(Params(version: version, encoding: encoding, anchorVersion: anchorVersion,
                                      anchor: anchor, increments: increments))
            }
        case .push:
            let run = try r.u64("run"), base = try r.u64("base version")
            let samples = try r.u32("sample count")
            let loss = Float(bitPattern: try r.u32("loss"))
            guard loss.isFinite else { throw r.malformed("loss is not finite") }
            let codec = try r.string("codec", limit: Limits.codecName)
            self = .push(Push(runID: run, baseVersion: base, sampleCount: samples, loss: loss,
                              codecName: codec, payload: r.rest()))
        case .ack:
            let version = try r.u64("new version"), staleness = try r.u64("staleness")
            let raw = try r.u8("status")
            guard let status = Ack.Status(rawValue: raw) else { throw r.malformed("unknown ack status \(raw)") }
            self = .ack(Ack(newVersion: version, staleness: staleness, status: status,
                            reason: try r.string("reason", limit: Limits.reason)))
        case .bye: self = .bye
        }
        try r.finish()
    }
}

/// Reads fields of one message's payload, throwing `WireError.malformed` on any violation.
private struct FieldReader {
    let type: MessageType
    var buffer: ByteBuffer

    func malformed(_ why: String) -> WireError { .malformed(type: type, why: why) }

    mutating func u8(_ field: String) throws -> UInt8 {
        guard let v = buffer.readInteger(as: UInt8.self) else { throw malformed("truncated at \(field)") }
        return v
    }

    mutating func u32(_ field: String) throws -> UInt32 {
        guard let v = buffer.readInteger(endianness: .big, as: UInt32.self) else { throw malformed("truncated at \(field)") }
        return v
    }

    mutating func u64(_ field: String) throws -> UInt64 {
        guard let v = buffer.readInteger(endianness: .big, as: UInt64.self) else { throw malformed("truncated at \(field)") }
        return v
    }

    mutating func bytes(_ field: String, count: Int) throws -> [UInt8] {
        guard let v = buffer.readBytes(length: count) else { throw malformed("truncated at \(field)") }
        return v
    }

    mutating func string(_ field: String, limit: Int) throws -> String {
        guard let length = buffer.readInteger(endianness: .big, as: UInt16.self) else {
            throw malformed("truncated at \(field) length")
        }
        guard Int(length) <= limit else { throw malformed("\(field) is \(length) bytes, at most \(limit) allowed") }
        guard let raw = buffer.readBytes(length: Int(length)) else { throw malformed("truncated in \(field)") }
        guard let text = String(validating: raw, as: UTF8.self) else { throw malformed("\(field) is not valid UTF-8") }
        return text
    }

    var remaining: Int { buffer.readableBytes }

    mutating func slice(_ field: String, length: Int) throws -> ByteBuffer {
        guard let v = buffer.readSlice(length: length) else { throw malformed("truncated in \(field)") }
        return v
    }

    mutating func rest() -> ByteBuffer {
        buffer.readSlice(length: buffer.readableBytes) ?? ByteBuffer()
    }

    func finish() throws {
        guard buffer.readableBytes == 0 else { throw malformed("\(buffer.readableBytes) unexpected trailing bytes") }
    }
}

extension ByteBuffer {
    /// Writes a length-prefixed UTF-8 string, cut at a character boundary to fit `limit`
    /// (a long error reason is shortened, not a crash).
    fileprivate mutating func writeField(_ text: String, limit: Int) {
        var bytes = Array(text.utf8)
        if bytes.count > limit {
            bytes.removeSubrange(limit...)
            // Drop a partial character: continuation bytes look like 0b10xxxxxx.
            while let last = bytes.last, last & 0xC0 == 0x80 { bytes.removeLast() }
            if let last = bytes.last, last >= 0xC0 { bytes.removeLast() }
        }
        writeInteger(UInt16(bytes.count), endianness: .big)
        writeBytes(bytes)
    }

    /// This buffer followed by `payload`.
    fileprivate func joined(with payload: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        var out = allocator.buffer(capacity: readableBytes + payload.readableBytes)
        var head = self, tail = payload
        out.writeBuffer(&head)
        out.writeBuffer(&tail)
        return out
    }
}
