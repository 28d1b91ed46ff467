import Store
import Wire

/// How a worker runs: who it is, how hard it works, how it finds the database and the
/// parameter server.
public struct WorkerSettings: Sendable {
    public var name: String?
    public var threads: Int
    public var token: SharedToken
    public var database: DatabaseLocation
    /// Lease length; heartbeats renew it every third of it.
    public var leaseSeconds: Double = 30
    /// Seconds between progress lines.
    public var reportInterval: Double = 10
    /// Exit once no shard has been available for this long (nil: wait for ever).
    public var exitWhenIdleFor: Double?
    /// Directory with the font list and charsets (nil: search as TextImages does).
    public var fontDirectory: String?
    /// Where Prometheus metrics are served (`host:port`; nil: not served).
    public var metricsAddress: String?

    public init(name: String?, threads: Int, token: SharedToken, database: DatabaseLocation) {
        self.name = name
        self.threads = max(1, threads)
        self.token = token
        self.database = database
    }
}

/// `host:port` as stored in `runs.ps_address`.
struct ServerAddress: Equatable {
    let host: String
    let port: Int

    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (1...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        // A coordinator listening on every interface publishes 0.0.0.0; reach it on loopback
        // when it is this machine (remote workers get its real address from --advertise).
        if host == "0.0.0.0" || host == "::" { host = "127.0.0.1" }
        self.host = host
        self.port = port
    }

    /// A run's parameter servers: `host:port`, or one per shard in shard order, comma-separated.
    static func list(_ text: String) -> [ServerAddress]? {
        let addresses = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { ServerAddress(String($0).trimmingCharacters(in: .whitespaces)) }
        guard !addresses.isEmpty, addresses.allSatisfy({ $0 != nil }) else { return nil }
        return addresses.map { $0! }
    }
}
