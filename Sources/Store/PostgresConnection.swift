import CPQ
import Foundation

/// One libpq connection. Not thread-safe: give each thread (or actor) its own.
///
/// Every statement goes through `PQexecParams` with bind parameters; there is deliberately no
/// API that takes SQL with values spliced in.
public final class PostgresConnection {
    private var handle: OpaquePointer?
    /// Names already prepared on this connection (see `executePrepared`).
    private var preparedStatements: Set<String> = []
    /// Nesting of `transaction` calls (0: none open).
    private var transactionDepth = 0
    public let url: String

    /// Connects to `url` (`postgresql://...` or a libpq keyword string).
    /// - Throws: `PostgresError(.connection)` with libpq's reason.
    public init(url: String, applicationName: String = "crnn-cluster") throws {
        self.url = url
        // Pass the URL as `dbname` so both URIs and keyword strings work, plus our own settings.
        let keys = ["dbname", "application_name", "connect_timeout", "client_encoding"]
        let values = [url, applicationName, "10", "UTF8"]
        handle = withCStrings(keys) { keyPtrs in
            withCStrings(values) { valuePtrs in
                PQconnectdbParams(keyPtrs, valuePtrs, 1)
            }
        }
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            let reason = handle.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            if let handle { PQfinish(handle) }
            self.handle = nil
            throw PostgresError(.connection, reason.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        // Quiet NOTICEs (e.g. "relation already exists, skipping") that libpq would print to stderr.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    /// Whether the connection is still usable (false after the server went away).
    public var isHealthy: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Runs one statement with `$1, $2, ...` bound to `parameters`.
    ///
    /// - Parameter binaryResults: ask for every column in binary format (use for `bytea`).
    /// - Throws: `PostgresError(.statement)` carrying the SQLSTATE, or `.connection` when the
    ///   connection broke.
    @discardableResult
    public func execute(
        _ sql: String, _ parameters: [PostgresBindable] = [], binaryResults: Bool = false
    ) throws -> PostgresResult {
        guard let handle else { throw PostgresError(.connection, "connection is closed") }
        let values = parameters.map(\.postgresValue)
        let result = bind(values) { pointers, lengths, formats in
            PQexecParams(
                handle, sql, Int32(values.count), nil, pointers, lengths, formats,
                binaryResults ? 1 : 0)
        }
        return try checked(result, handle)
    }

    /// Runs `sql` as the prepared statement `name`, preparing it on this connection's first use.
    /// For statements run thousands of times (the shard claim): PostgreSQL parses and plans once
    /// per connection instead of once per call, which is half the server's work for a claim.
    /// - Parameter name: unique per distinct `sql` (a constant chosen by the caller).
    @discardableResult
    public func executePrepared(
        _ name: String, _ sql: String, _ parameters: [PostgresBindable] = [], binaryResults: Bool = false
    ) throws -> PostgresResult {
        guard let handle else { throw PostgresError(.connection, "connection is closed") }
        if !preparedStatements.contains(name) {
            // Parameter types are inferred from the SQL, as for execute().
            _ = try checked(PQprepare(handle, name, sql, Int32(parameters.count), nil), handle)
            preparedStatements.insert(name)
        }
        let values = parameters.map(\.postgresValue)
        let result = bind(values) { pointers, lengths, formats in
            PQexecPrepared(handle, name, Int32(values.count), pointers, lengths, formats, binaryResults ? 1 : 0)
        }
        return try checked(result, handle)
    }

    /// Copies a libpq result out, or turns it into the matching error; always frees it.
    private func checked(_ result: OpaquePointer?, _ handle: OpaquePointer) throws -> PostgresResult {
        guard let result else {
            throw PostgresError(.connection, String(cString: PQerrorMessage(handle)))
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PostgresResult(result)
        default:
            let message = String(cString: PQresultErrorMessage(result))
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            if PQstatus(handle) != CONNECTION_OK {
                throw PostgresError(.connection, message, sqlState: state)
            }
            throw PostgresError(.statement, message, sqlState: state)
        }
    }

    /// Runs `body` inside BEGIN/COMMIT; any error rolls back and is rethrown. Called inside
    /// another `transaction`, `body` joins the outer one (an error still rolls back all of it):
    /// a store's operation can be one step of a larger one, such as an experiment's trials.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        if transactionDepth > 0 {
            transactionDepth += 1
            defer { transactionDepth -= 1 }
            return try body()
        }
        try execute("BEGIN")
        transactionDepth = 1
        defer { transactionDepth = 0 }
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            if isHealthy { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    /// Runs several `;`-separated statements without parameters (migration files). Only for SQL
    /// that ships with crnn-cluster, never for anything built from input.
    public func executeScript(_ sql: String) throws {
        guard let handle else { throw PostgresError(.connection, "connection is closed") }
        guard let result = PQexec(handle, sql) else {
            throw PostgresError(.connection, String(cString: PQerrorMessage(handle)))
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY else {
            let message = String(cString: PQresultErrorMessage(result))
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            throw PostgresError(.statement, message, sqlState: state)
        }
    }

    // MARK: LISTEN / NOTIFY

    /// A notification delivered by `NOTIFY channel, payload`.
    public struct Notification: Sendable, Equatable {
        public let channel: String
        public let payload: String
    }

    /// Subscribes this connection to `channel` (an identifier we choose, never user input).
    public func listen(_ channel: String) throws {
        precondition(channel.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }, "bad channel name")
        try execute("LISTEN \(channel)")
    }

    /// Waits up to `timeout` seconds for notifications; returns those that arrived (maybe none).
    public func waitForNotifications(timeout: Double) throws -> [Notification] {
        guard let handle else { throw PostgresError(.connection, "connection is closed") }
        var collected = drainNotifications(handle)
        if !collected.isEmpty { return collected }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, Int32(max(0, timeout) * 1000))
        if ready > 0 {
            guard PQconsumeInput(handle) == 1 else {
                throw PostgresError(.connection, String(cString: PQerrorMessage(handle)))
            }
            collected = drainNotifications(handle)
        }
        return collected
    }

    private func drainNotifications(_ handle: OpaquePointer) -> [Notification] {
        var collected: [Notification] = []
        while let raw = PQnotifies(handle) {
            collected.append(Notification(
                channel: String(cString: raw.pointee.relname),
                payload: String(cString: raw.pointee.extra)))
            PQfreemem(raw)
        }
        return collected
    }
}

// MARK: C string plumbing

/// Calls `body` with a NULL-terminated array of C strings that live for the call.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let duplicates = strings.map { strdup($0) }
    defer { duplicates.forEach { free($0) } }
    var pointers: [UnsafePointer<CChar>?] = duplicates.map { UnsafePointer($0) }
    pointers.append(nil)
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// Lays parameter values out as libpq wants them: pointers, lengths and text/binary formats.
private func bind<R>(
    _ values: [PostgresValue],
    _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R
) -> R {
    var storage: [UnsafeMutablePointer<CChar>?] = []
    var lengths: [Int32] = []
    var formats: [Int32] = []
    for value in values {
        switch value {
        case .null:
            storage.append(nil); lengths.append(0); formats.append(0)
        case .text(let text):
            storage.append(strdup(text)); lengths.append(0); formats.append(0)
        case .bytes(let bytes):
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, bytes.count))
            bytes.withUnsafeBytes { raw in
                if let base = raw.baseAddress { UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: bytes.count) }
            }
            storage.append(buffer); lengths.append(Int32(bytes.count)); formats.append(1)
        }
    }
    defer {
        for (value, pointer) in zip(values, storage) {
            if case .bytes = value { pointer?.deallocate() } else { free(pointer) }
        }
    }
    let pointers: [UnsafePointer<CChar>?] = storage.map { $0.map { UnsafePointer($0) } }
    return pointers.withUnsafeBufferPointer { p in
        lengths.withUnsafeBufferPointer { l in
            formats.withUnsafeBufferPointer { f in
                body(p.baseAddress, l.baseAddress, f.baseAddress)
            }
        }
    }
}

extension PostgresConnection {
    /// Points this session's unqualified names at `schema` (a scratch schema, e.g. the queue
    /// benchmark's), until the session ends.
    public func useSchema(_ schema: String) throws {
        try execute(Queries.setSearchPath, [schema])
    }
}
