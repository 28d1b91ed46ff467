import CPQ

/// The rows of one statement, copied out of libpq so the result outlives the call.
///
/// Columns arrive in text format unless the statement asked for binary results, in which case
/// `bytes(_:_:)` returns the raw value (used for `bytea` payloads).
public struct PostgresResult: Sendable {
    public let columns: [String]
    public let rows: [[[UInt8]?]]
    /// Rows touched by INSERT/UPDATE/DELETE (`PQcmdTuples`), 0 for other statements.
    public let affectedRows: Int

    init(_ result: OpaquePointer) {
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        var rows: [[[UInt8]?]] = []
        rows.reserveCapacity(rowCount)
        for r in 0..<rowCount {
            var row: [[UInt8]?] = []
            row.reserveCapacity(columnCount)
            for c in 0..<columnCount {
                if PQgetisnull(result, Int32(r), Int32(c)) != 0 {
                    row.append(nil)
                    continue
                }
                let length = Int(PQgetlength(result, Int32(r), Int32(c)))
                let value = PQgetvalue(result, Int32(r), Int32(c))!
                row.append(value.withMemoryRebound(to: UInt8.self, capacity: length) {
                    Array(UnsafeBufferPointer(start: $0, count: length))
                })
            }
            rows.append(row)
        }
        self.rows = rows
        affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    public var count: Int { rows.count }
    public var isEmpty: Bool { rows.isEmpty }

    public func column(_ name: String) throws -> Int {
        guard let index = columns.firstIndex(of: name) else {
            throw PostgresError(.protocolMismatch, "no column \(name) in result (\(columns.joined(separator: ", ")))")
        }
        return index
    }

    public func isNull(_ row: Int, _ column: Int) -> Bool { rows[row][column] == nil }

    public func string(_ row: Int, _ column: Int) -> String? {
        rows[row][column].map { String(decoding: $0, as: UTF8.self) }
    }

    public func bytes(_ row: Int, _ column: Int) -> [UInt8]? { rows[row][column] }

    public func int(_ row: Int, _ column: Int) throws -> Int? {
        guard let text = string(row, column) else { return nil }
        guard let value = Int(text) else {
            throw PostgresError(.protocolMismatch, "column \(columns[column]) is not an integer: \(text)")
        }
        return value
    }

    public func double(_ row: Int, _ column: Int) throws -> Double? {
        guard let text = string(row, column) else { return nil }
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let value = Double(text) else {
                throw PostgresError(.protocolMismatch, "column \(columns[column]) is not a number: \(text)")
            }
            return value
        }
    }

    /// A column holding one of `T`'s names (a state, a kind). A name this build does not know
    /// (a newer schema) or NULL is an error, never another value taken in its place.
    public func named<T: RawRepresentable>(_ type: T.Type, _ row: Int, _ column: Int) throws -> T where T.RawValue == String {
        guard let text = string(row, column) else {
            throw PostgresError(.protocolMismatch, "column \(columns[column]) is NULL where a \(T.self) was expected")
        }
        guard let value = T(rawValue: text) else {
            throw PostgresError(.protocolMismatch, "column \(columns[column]) holds '\(text)', which this build does not know as a \(T.self)")
        }
        return value
    }

    public func bool(_ row: Int, _ column: Int) -> Bool? {
        string(row, column).map { $0 == "t" || $0 == "true" }
    }
}
