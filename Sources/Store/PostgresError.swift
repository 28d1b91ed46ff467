/// A failure talking to PostgreSQL, with the server's own words when it gave any.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// The server could not be reached or refused the connection.
        case connection
        /// The server rejected a statement (syntax, constraint, ...); `sqlState` says which.
        case statement
        /// The server answered with something this wrapper did not expect.
        case protocolMismatch
    }

    public let kind: Kind
    public let message: String
    /// The five-character SQLSTATE code for statement errors (`23505` unique violation, ...).
    public let sqlState: String?

    public init(_ kind: Kind, _ message: String, sqlState: String? = nil) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
    }

    public var description: String {
        let state = sqlState.map { " [\($0)]" } ?? ""
        switch kind {
        case .connection: return "cannot connect to PostgreSQL: \(message)"
        case .statement: return "PostgreSQL error\(state): \(message)"
        case .protocolMismatch: return "unexpected PostgreSQL response: \(message)"
        }
    }

    /// True for errors that a reconnect may cure (server restarting, connection dropped).
    public var isConnectionLoss: Bool {
        if kind == .connection { return true }
        // Class 08 is "connection exception"; 57P01..57P03 are admin shutdown / crash shutdown /
        // cannot connect now, which is what a restarting server says.
        guard let state = sqlState else { return false }
        return state.hasPrefix("08") || state.hasPrefix("57P")
    }
}
