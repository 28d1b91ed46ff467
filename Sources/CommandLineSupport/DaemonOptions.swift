import ArgumentParser

/// The options both daemons take besides the database: the shared token, extra fonts, and when
/// to exit on their own.
public struct DaemonOptions: ParsableArguments {
    @Option(help: ArgumentHelp("File holding the shared token (default: $CRNN_TOKEN).", valueName: "path"))
    public var tokenFile: String?

    @Option(help: ArgumentHelp("Extra fonts to render with.", valueName: "dir"))
    public var fontDir: String?

    @Option(help: ArgumentHelp("Exit after this many seconds with nothing to do: no active run for the coordinator, no shard for a worker (default: run for ever).", valueName: "seconds"))
    public var exitWhenIdle: Double?

    @Option(help: ArgumentHelp("Serve Prometheus metrics at http://host:port/metrics (':port' means 127.0.0.1; any other host than loopback needs the shared token as 'Authorization: Bearer'). Off unless given.", valueName: "host:port"))
    public var metrics: String?

    public init() {}

    public func validate() throws {
        if let exitWhenIdle, !(exitWhenIdle >= 0) { throw ValidationError("--exit-when-idle must be 0 or more seconds") }
        if let metrics {
            guard let colon = metrics.lastIndex(of: ":"), let port = Int(metrics[metrics.index(after: colon)...]),
                  (0...65535).contains(port) else {
                throw ValidationError("--metrics \(metrics) is not host:port (or :port) with a port from 0 to 65535")
            }
        }
    }
}
