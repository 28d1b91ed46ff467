/// One numbered schema change, `sql/migrations/NNN_name.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// Applies migrations in order, each in its own transaction, and records them in
/// `schema_migrations`. Refuses a database whose schema is newer than this build knows.
public struct Migrator {
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case schemaTooNew(database: Int, known: Int)
        case migrationFailed(version: Int, name: String, reason: String)

        public var description: String {
            switch self {
            case .schemaTooNew(let database, let known):
                return "the database schema is at version \(database) but this build knows only up to "
                    + "\(known): upgrade crnn-cluster before running it against this database"
            case .migrationFailed(let version, let name, let reason):
                return "migration \(String(format: "%03d", version))_\(name).sql failed: \(reason)"
            }
        }
    }

    let connection: PostgresConnection
    let migrations: [Migration]

    public init(connection: PostgresConnection, migrations: [Migration] = EmbeddedSQL.migrations) {
        precondition(
            zip(migrations, migrations.dropFirst()).allSatisfy { $0.version < $1.version },
            "migrations must be sorted by strictly increasing version")
        self.connection = connection
        self.migrations = migrations
    }

    /// The highest version this build can apply.
    public var latestKnownVersion: Int { migrations.last?.version ?? 0 }

    /// Applies every migration not yet recorded.
    /// - Returns: the versions applied by this call (empty when already up to date).
    @discardableResult
    public func migrate() throws -> [Int] {
        // Up to date: nothing to create. This is the only path that needs no DDL rights, which
        // a least-privilege worker role (WorkerRole) does not have.
        if try isMigrated() {
            let newest = try currentVersion()
            if newest > latestKnownVersion { throw Failure.schemaTooNew(database: newest, known: latestKnownVersion) }
            if newest == latestKnownVersion { return [] }
        }
        try connection.execute(Queries.createSchemaMigrations)
        var applied: [Int] = []
        for migration in migrations {
            let didApply = try connection.transaction { () throws -> Bool in
                // Two daemons starting together must not both apply the same migration: the
                // advisory lock serialises them, and the re-check inside it sees the winner's row.
                try connection.execute(Queries.lockMigrations)
                let newest = try currentVersion()
                if newest > latestKnownVersion {
                    throw Failure.schemaTooNew(database: newest, known: latestKnownVersion)
                }
                let done = try connection.execute(Queries.isMigrationApplied, [migration.version])
                guard done.isEmpty else { return false }
                do {
                    try connection.executeScript(migration.sql)
                } catch {
                    throw Failure.migrationFailed(
                        version: migration.version, name: migration.name, reason: "\(error)")
                }
                try connection.execute(Queries.recordMigration, [migration.version, migration.name])
                return true
            }
            if didApply { applied.append(migration.version) }
        }
        let newest = try currentVersion()
        if newest > latestKnownVersion {
            throw Failure.schemaTooNew(database: newest, known: latestKnownVersion)
        }
        return applied
    }

    /// The highest applied version, 0 for a fresh database.
    public func currentVersion() throws -> Int {
        try connection.execute(Queries.selectSchemaVersion).int(0, 0) ?? 0
    }

    /// Whether any migration was ever applied here (`schema_migrations` exists). Needs no rights
    /// on any table.
    public func isMigrated() throws -> Bool {
        try connection.execute(Queries.schemaMigrationsExists).bool(0, 0) == true
    }
}
