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

    public init() {}

    public func validate() throws {
        if let exitWhenIdle, !(exitWhenIdle >= 0) { throw ValidationError("--exit-when-idle must be 0 or more seconds") }
    }
}
