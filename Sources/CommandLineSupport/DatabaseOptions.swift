import ArgumentParser
import Store

/// `--db URL`, shared by every command that talks to PostgreSQL.
public struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: ArgumentHelp(
        "PostgreSQL URL (postgresql://user@host/db). Default: $DATABASE_URL, else the local "
            + "cluster under $CRNN_HOME or ./.crnn, started on demand.",
        valueName: "url"))
    public var url: String?

    public init() {}

    public var location: DatabaseLocation { DatabaseLocation.resolve(option: url) }

    /// Connects (starting the local cluster if that is the target) and migrates the schema.
    public func connect(applicationName: String) throws -> PostgresConnection {
        try location.connectMigrated(applicationName: applicationName)
    }
}
