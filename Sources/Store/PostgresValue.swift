/// A value bound to a `$n` parameter of a statement. Every statement in crnn-cluster passes its
/// values this way; none is ever spliced into SQL text.
public enum PostgresValue: Sendable, Equatable {
    case null
    case text(String)
    /// Sent in binary format: for `bytea` parameters, no hex round trip.
    case bytes([UInt8])
}

/// A Swift value that can be bound as a statement parameter.
public protocol PostgresBindable {
    var postgresValue: PostgresValue { get }
}

extension String: PostgresBindable {
    public var postgresValue: PostgresValue { .text(self) }
}

extension Int: PostgresBindable {
    public var postgresValue: PostgresValue { .text(String(self)) }
}

extension Int32: PostgresBindable {
    public var postgresValue: PostgresValue { .text(String(self)) }
}

extension Int64: PostgresBindable {
    public var postgresValue: PostgresValue { .text(String(self)) }
}

extension Double: PostgresBindable {
    public var postgresValue: PostgresValue {
        // PostgreSQL spells the specials differently from Swift.
        if isNaN { return .text("NaN") }
        if isInfinite { return .text(self > 0 ? "Infinity" : "-Infinity") }
        return .text(String(self))
    }
}

extension Float: PostgresBindable {
    public var postgresValue: PostgresValue { Double(self).postgresValue }
}

extension Bool: PostgresBindable {
    public var postgresValue: PostgresValue { .text(self ? "true" : "false") }
}

extension Array: PostgresBindable where Element == UInt8 {
    public var postgresValue: PostgresValue { .bytes(self) }
}

extension Optional: PostgresBindable where Wrapped: PostgresBindable {
    public var postgresValue: PostgresValue {
        switch self {
        case .none: return .null
        case .some(let value): return value.postgresValue
        }
    }
}

extension PostgresValue: PostgresBindable {
    public var postgresValue: PostgresValue { self }
}
