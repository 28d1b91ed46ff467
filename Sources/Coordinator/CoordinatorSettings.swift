import Store
import Wire

/// How a coordinator runs: where its parameter server listens, how it reaches the database.
public struct CoordinatorSettings: Sendable {
    public var database: DatabaseLocation
    public var token: SharedToken
    /// Loopback unless told otherwise.
    public var listenHost = "127.0.0.1"
    /// 0 picks a free port.
    public var listenPort = 7070
    /// The address workers are told to use (default: the listen address and bound port).
    public var advertise: String?
    /// Key ranges every run's parameters are split into, one parameter server (listening socket,
    /// optimiser thread) each; their addresses are published in the run's `ps_address`, in shard order.
    public var parameterServerShards = 1
    /// Threads for validation.
    public var threads = 1
    /// Seconds between scheduler ticks (metrics, validation checks, completion checks).
    public var tick: Double = 1
    /// Seconds between metric flushes.
    public var metricsInterval: Double = 5
    /// Runs trained at once (paused runs it still serves do not count).
    public var maximumRuns = 4
    /// Exit once no run is active or queued for this long (nil: serve for ever).
    public var exitWhenIdleFor: Double?
    public var fontDirectory: String?
    /// Where Prometheus metrics are served (`host:port`; nil: not served).
    public var metricsAddress: String?

    public init(database: DatabaseLocation, token: SharedToken) {
        self.database = database
        self.token = token
    }
}
