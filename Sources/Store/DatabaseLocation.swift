import Foundation

/// Where a command finds its database: `--db URL`, else `$DATABASE_URL`, else the local default
/// cluster under `$CRNN_HOME` (started on demand).
public enum DatabaseLocation: Equatable, Sendable {
    case url(String)
    case local(CRNNHome)

    /// Applies the precedence rule: explicit option, environment, local default.
    public static func resolve(
        option: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> DatabaseLocation {
        if let option, !option.isEmpty { return .url(option) }
        if let fromEnvironment = environment["DATABASE_URL"], !fromEnvironment.isEmpty {
            return .url(fromEnvironment)
        }
        return .local(CRNNHome.fromEnvironment(environment))
    }

    /// The URL to connect to; for the local default this starts the cluster if needed.
    public func connectionURL() throws -> String {
        switch self {
        case .url(let url):
            return url
        case .local(let home):
            let cluster = LocalPostgres(home: home)
            try cluster.start()
            return cluster.url
        }
    }

    /// Connects and brings the schema up to date (or refuses a schema newer than this build).
    public func connectMigrated(applicationName: String = "crnn-cluster") throws -> PostgresConnection {
        let connection = try PostgresConnection(url: connectionURL(), applicationName: applicationName)
        try Migrator(connection: connection).migrate()
        return connection
    }
}
