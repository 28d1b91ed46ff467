// The subset of Python's pickle that PyTorch state dicts use, read without running anything:
// globals stay names, calls stay (callable, arguments) values, persistent ids stay values.
// `TorchStateDict` gives them meaning (a `_rebuild_tensor_v2` call is a tensor). Protocols 2–5.
// Values are copies, not Python's shared references: a container memoised before it was filled
// reads back as it was then. PyTorch never reads a container back before it is complete (it
// reads back globals and strings), so state dicts come out whole.

/// A value of an unpickled stream.
indirect enum PickleValue: Equatable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list([PickleValue])
    /// Key–value pairs in insertion order (dict and OrderedDict alike).
    case dict([(key: PickleValue, value: PickleValue)])
    /// `module.name`, not resolved.
    case global(module: String, name: String)
    /// `callable(*arguments)` (REDUCE or NEWOBJ), with the state a BUILD gave it.
    case call(callable: PickleValue, arguments: [PickleValue], state: PickleValue?)
    /// A persistent id (PyTorch: its storages).
    case persistent(PickleValue)

    static func == (a: PickleValue, b: PickleValue) -> Bool {
        switch (a, b) {
        case (.none, .none): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.float(x), .float(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.bytes(x), .bytes(y)): return x == y
        case let (.tuple(x), .tuple(y)), let (.list(x), .list(y)): return x == y
        case let (.dict(x), .dict(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case let (.global(m1, n1), .global(m2, n2)): return m1 == m2 && n1 == n2
        case let (.call(c1, a1, s1), .call(c2, a2, s2)): return c1 == c2 && a1 == a2 && s1 == s2
        case let (.persistent(x), .persistent(y)): return x == y
        default: return false
        }
    }
}

/// Why a pickle stream could not be read.
public struct PickleError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Reads one pickle stream.
struct PickleReader {
    private let bytes: [UInt8]
    private var position = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    /// Dicts are values here, so SETITEM(S) rebuild them; a stream may nest them deeply, not widely.
    static let maximumContainer = 10_000_000
    /// Elements copied while filling containers (a container shared with the memo is copied on
    /// each addition): a hostile stream that grows a memoised list item by item must not take
    /// quadratic time.
    static let maximumCopies = 200_000_000
    private var copies = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The stream's value.
    /// - Throws: `PickleError` naming the opcode and offset that could not be read.
    static func read(_ bytes: [UInt8]) throws -> PickleValue {
        var reader = PickleReader(bytes)
        return try reader.run()
    }

    private mutating func run() throws -> PickleValue {
        while position < bytes.count {
            let offset = position
            let op = try byte()
            switch op {
            case 0x80: _ = try byte()                                   // PROTO
            case 0x95: _ = try take(8)                                  // FRAME
            case 0x2E:                                                  // STOP
                guard let top = stack.popLast() else { throw PickleError("STOP with an empty stack at offset \(offset)") }
                return top
            case 0x28: marks.append(stack.count)                        // MARK
            case 0x29: stack.append(.tuple([]))                         // EMPTY_TUPLE
            case 0x7D: stack.append(.dict([]))                          // EMPTY_DICT
            case 0x5D: stack.append(.list([]))                          // EMPTY_LIST
            case 0x4E: stack.append(.none)                              // NONE
            case 0x88: stack.append(.bool(true))                        // NEWTRUE
            case 0x89: stack.append(.bool(false))                       // NEWFALSE
            case 0x4B: stack.append(.int(Int(try byte())))              // BININT1
            case 0x4D: stack.append(.int(Int(try littleEndian(2))))     // BININT2
            case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try littleEndian(4)))))  // BININT
            case 0x8A: stack.append(.int(try long(Int(try byte()))))    // LONG1
            case 0x47:                                                  // BINFLOAT (big-endian)
                let raw = try take(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                stack.append(.float(Double(bitPattern: raw)))
            case 0x58: stack.append(.string(try text(Int(try littleEndian(4)))))   // BINUNICODE
            case 0x8C: stack.append(.string(try text(Int(try byte()))))            // SHORT_BINUNICODE
            case 0x8D: stack.append(.string(try text(Int(try littleEndian(8)))))   // BINUNICODE8
            case 0x43: stack.append(.bytes(try take(Int(try byte()))))             // SHORT_BINBYTES
            case 0x42: stack.append(.bytes(try take(Int(try littleEndian(4)))))    // BINBYTES
            case 0x63:                                                  // GLOBAL "module\nname\n"
                let module = try line(), name = try line()
                stack.append(.global(module: module, name: name))
            case 0x93:                                                  // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard case .string(let m) = module, case .string(let n) = name else {
                    throw PickleError("STACK_GLOBAL without two strings at offset \(offset)")
                }
                stack.append(.global(module: m, name: n))
            case 0x74: stack.append(.tuple(try popMark()))              // TUPLE
            case 0x85: stack.append(.tuple(try pop(1)))                 // TUPLE1
            case 0x86: stack.append(.tuple(try pop(2)))                 // TUPLE2
            case 0x87: stack.append(.tuple(try pop(3)))                 // TUPLE3
            case 0x6C: stack.append(.list(try popMark()))               // LIST
            case 0x64: stack.append(.dict(try pairs(try popMark(), at: offset)))   // DICT
            case 0x52, 0x81:                                            // REDUCE, NEWOBJ
                let arguments = try pop(), callable = try pop()
                guard case .tuple(let args) = arguments else { throw PickleError("call without an argument tuple at offset \(offset)") }
                stack.append(Self.call(callable, args))
            case 0x62:                                                  // BUILD
                let state = try pop(), target = try pop()
                switch target {
                case .call(let callable, let arguments, _): stack.append(.call(callable: callable, arguments: arguments, state: state))
                default: stack.append(target)  // an OrderedDict's _metadata and the like: not needed
                }
            case 0x51: stack.append(.persistent(try pop()))             // BINPERSID
            case 0x73:                                                  // SETITEM
                let value = try pop(), key = try pop()
                try addToDict([(key, value)], at: offset)
            case 0x75:                                                  // SETITEMS
                try addToDict(try pairs(try popMark(), at: offset), at: offset)
            case 0x61:                                                  // APPEND
                let value = try pop()
                try addToList([value], at: offset)
            case 0x65: try addToList(try popMark(), at: offset)         // APPENDS
            case 0x71: memo[Int(try byte())] = try top(at: offset)      // BINPUT
            case 0x72: memo[Int(try littleEndian(4))] = try top(at: offset)   // LONG_BINPUT
            case 0x94: memo[memo.count] = try top(at: offset)           // MEMOIZE
            case 0x68: stack.append(try recall(Int(try byte()), at: offset))  // BINGET
            case 0x6A: stack.append(try recall(Int(try littleEndian(4)), at: offset))  // LONG_BINGET
            case 0x30: _ = try pop()                                    // POP
            default:
                throw PickleError("unsupported pickle opcode 0x\(String(op, radix: 16)) at offset \(offset)")
            }
        }
        throw PickleError("truncated: the stream ends without STOP")
    }

    /// OrderedDict() and dict() calls are dicts, so later SETITEMs can fill them.
    private static func call(_ callable: PickleValue, _ arguments: [PickleValue]) -> PickleValue {
        if case .global(let module, let name) = callable, arguments.isEmpty,
           (module == "collections" && name == "OrderedDict") || (module == "builtins" && name == "dict") {
            return .dict([])
        }
        return .call(callable: callable, arguments: arguments, state: nil)
    }

    private mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw PickleError("truncated at offset \(position)") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func take(_ count: Int) throws -> [UInt8] {
        guard count >= 0, count <= bytes.count - position else {
            throw PickleError("truncated: \(count) bytes wanted at offset \(position), \(bytes.count - position) left")
        }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }

    private mutating func littleEndian(_ count: Int) throws -> UInt64 {
        try take(count).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// LONG1's two's-complement little-endian integer (up to 8 bytes).
    private mutating func long(_ count: Int) throws -> Int {
        guard count <= 8 else { throw PickleError("integer of \(count) bytes at offset \(position) is too large") }
        let raw = try take(count)
        guard let last = raw.last else { return 0 }
        var value = raw.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        if last & 0x80 != 0 && count < 8 { value |= ~UInt64(0) << UInt64(count * 8) }
        return Int(Int64(bitPattern: value))
    }

    private mutating func text(_ count: Int) throws -> String {
        let raw = try take(count)
        guard let s = String(validating: raw, as: UTF8.self) else { throw PickleError("string at offset \(position - count) is not UTF-8") }
        return s
    }

    private mutating func line() throws -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else { throw PickleError("truncated GLOBAL at offset \(position)") }
        defer { position = end + 1 }
        return String(decoding: bytes[position..<end], as: UTF8.self)
    }

    private mutating func pop() throws -> PickleValue {
        guard let value = stack.popLast() else { throw PickleError("stack underflow at offset \(position - 1)") }
        return value
    }

    private mutating func pop(_ count: Int) throws -> [PickleValue] {
        guard stack.count >= count else { throw PickleError("stack underflow at offset \(position - 1)") }
        defer { stack.removeLast(count) }
        return Array(stack.suffix(count))
    }

    private mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw PickleError("no MARK before offset \(position - 1)") }
        defer { stack.removeSubrange(mark...) }
        return Array(stack[mark...])
    }

    private func top(at offset: Int) throws -> PickleValue {
        guard let value = stack.last else { throw PickleError("memo of an empty stack at offset \(offset)") }
        return value
    }

    private func recall(_ key: Int, at offset: Int) throws -> PickleValue {
        guard let value = memo[key] else { throw PickleError("memo \(key) read before it was written (offset \(offset))") }
        return value
    }

    private func pairs(_ items: [PickleValue], at offset: Int) throws -> [(key: PickleValue, value: PickleValue)] {
        guard items.count % 2 == 0 else { throw PickleError("odd number of dict items at offset \(offset)") }
        return stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) }
    }

    private mutating func addToDict(_ items: [(key: PickleValue, value: PickleValue)], at offset: Int) throws {
        guard case .dict(var existing) = try pop() else { throw PickleError("SETITEM on something that is not a dict at offset \(offset)") }
        guard existing.count + items.count <= Self.maximumContainer else { throw PickleError("dict too large at offset \(offset)") }
        try count(existing.count + items.count, at: offset)
        existing += items
        stack.append(.dict(existing))
    }

    private mutating func addToList(_ items: [PickleValue], at offset: Int) throws {
        guard case .list(var existing) = try pop() else { throw PickleError("APPEND on something that is not a list at offset \(offset)") }
        guard existing.count + items.count <= Self.maximumContainer else { throw PickleError("list too large at offset \(offset)") }
        try count(existing.count + items.count, at: offset)
        existing += items
        stack.append(.list(existing))
    }

    private mutating func count(_ elements: Int, at offset: Int) throws {
        copies += elements
        guard copies <= Self.maximumCopies else { throw PickleError("the stream builds its containers in too many steps (offset \(offset)): not a state dict") }
    }
}
