import Foundation
import Testing
import TestSupport
@testable import Store

@Suite struct MigratorTests {
    @Test func appliesEveryMigrationOnceAndRecordsIt() throws {
        let connection = try PostgresConnection(url: TestDatabase.freshDatabaseURL())
        let migrator = Migrator(connection: connection)
        let applied = try migrator.migrate()
        #expect(applied == EmbeddedSQL.migrations.map(\.version))
        let recorded = try connection.execute("SELECT version, name FROM schema_migrations ORDER BY version")
        #expect(recorded.rows.count == EmbeddedSQL.migrations.count)
        for (row, migration) in EmbeddedSQL.migrations.enumerated() {
            #expect(try recorded.int(row, 0) == migration.version)
            #expect(recorded.string(row, 1) == migration.name)
        }
        // The first migration's types really exist.
        let states = try connection.execute("SELECT unnest(enum_range(NULL::shard_state))::text")
        #expect(states.rows.compactMap { $0[0].map { String(decoding: $0, as: UTF8.self) } }
            == ["available", "running", "completed", "failed"])
        #expect(try migrator.migrate().isEmpty, "a second run applies nothing")
        #expect(try migrator.currentVersion() == EmbeddedSQL.migrations.last?.version)
    }

    @Test func failedMigrationRollsBackAndNamesTheFile() throws {
        let connection = try PostgresConnection(url: TestDatabase.freshDatabaseURL())
        let migrations = [
            Migration(version: 1, name: "good", sql: "CREATE TABLE first_table (id int)"),
            Migration(version: 2, name: "broken", sql: "CREATE TABLE second_table (id int); SELEC oops"),
        ]
        #expect {
            try Migrator(connection: connection, migrations: migrations).migrate()
        } throws: { error in
            guard case Migrator.Failure.migrationFailed(2, "broken", _) = error else { return false }
            return "\(error)".contains("002_broken.sql")
        }
        let tables = try connection.execute(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE '%_table' ORDER BY 1")
        #expect(tables.rows.map { $0[0].map { String(decoding: $0, as: UTF8.self) } } == ["first_table"])
        #expect(try Migrator(connection: connection, migrations: migrations).currentVersion() == 1)
    }

    @Test func refusesASchemaNewerThanItKnows() throws {
        let connection = try PostgresConnection(url: TestDatabase.freshDatabaseURL())
        try Migrator(connection: connection).migrate()
        try connection.execute("INSERT INTO schema_migrations (version, name) VALUES (999, 'future')")
        #expect(throws: Migrator.Failure.schemaTooNew(
            database: 999, known: EmbeddedSQL.migrations.last?.version ?? 0)) {
            try Migrator(connection: connection).migrate()
        }
    }

    /// The binaries carry sql/migrations through a generated file; it must not go stale.
    @Test func embeddedSQLMatchesTheMigrationFiles() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let directory = root.appendingPathComponent("sql/migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files.count == EmbeddedSQL.migrations.count, "run scripts/embed-sql")
        for (file, migration) in zip(files, EmbeddedSQL.migrations) {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            #expect(file == String(format: "%03d_%@.sql", migration.version, migration.name), "run scripts/embed-sql")
            #expect(text.trimmingCharacters(in: .newlines) == migration.sql.trimmingCharacters(in: .newlines),
                    "\(file) changed: run scripts/embed-sql")
        }
    }
}
