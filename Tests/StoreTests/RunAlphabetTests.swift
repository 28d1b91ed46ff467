import Foundation
import Testing
import TestSupport
@testable import Store

/// A run's alphabet is stored when it is submitted (migration 007), never left for a
/// coordinator to resolve.
@Suite struct RunAlphabetTests {
    private func storedAlphabet(_ connection: PostgresConnection, run: Int64) throws -> [String]? {
        let row = try connection.execute("SELECT charset::text FROM runs WHERE id = $1", [run])
        return try row.string(0, 0).map { PostgresArray.parseTexts($0).compactMap { $0 } }
    }

    @Test func aBuiltInPresetIsStoredAtSubmit() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let config = try StoreFixtures.config(shards: 1)
        #expect(config.charset == .preset(.digits))
        let run = try RunStore(connection: connection).submit(config: config, configYAML: "", actor: "test").run
        #expect(try storedAlphabet(connection, run: run) == (0...9).map(String.init))
    }

    @Test func aDataFilePresetMustComeWithItsAlphabet() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        var config = try StoreFixtures.config(shards: 1)
        config.charset = .preset(.gb2312L1)
        let store = RunStore(connection: connection)
        #expect(throws: RunStore.Failure.alphabetNotResolved("gb2312-l1")) {
            try store.submit(config: config, configYAML: "", actor: "test")
        }
        #expect(try connection.execute("SELECT count(*) FROM runs").int(0, 0) == 0)
        let run = try store.submit(config: config, configYAML: "", alphabet: ["一", "乙"], actor: "test").run
        #expect(try storedAlphabet(connection, run: run) == ["一", "乙"])
    }

    @Test func theDatabaseRefusesANewRunWithoutAnAlphabet() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        #expect(throws: PostgresError.self) {
            try connection.execute("""
                INSERT INTO runs (name, config_yaml, hyperparameters, seed, charset_name)
                VALUES ('raw', '', '{}'::jsonb, 1, 'gb2312-l1')
                """)
        }
    }

    /// Runs queued by an older crnnctl: the built-in presets get their alphabet from the
    /// migration; a data-file preset keeps NULL for the coordinator to resolve once.
    @Test func migration7FillsTheBuiltInPresetsOfOlderRuns() throws {
        let connection = try PostgresConnection(url: TestDatabase.freshDatabaseURL())
        let before = EmbeddedSQL.migrations.filter { $0.version < 7 }
        try Migrator(connection: connection, migrations: before).migrate()
        var ids: [String: Int64] = [:]
        for name in ["digits", "ascii", "gb2312-l1"] {
            let row = try connection.execute("""
                INSERT INTO runs (name, config_yaml, hyperparameters, seed, charset_name)
                VALUES ($1, '', '{}'::jsonb, 1, $1) RETURNING id
                """, [name])
            ids[name] = try row.int(0, 0).map(Int64.init)
        }
        try Migrator(connection: connection).migrate()
        #expect(try storedAlphabet(connection, run: ids["digits"]!) == (0...9).map(String.init))
        let ascii = try storedAlphabet(connection, run: ids["ascii"]!)
        #expect(ascii?.count == 94 && ascii?.first == "!" && ascii?.last == "~" && ascii?.contains("\\") == true)
        #expect(try storedAlphabet(connection, run: ids["gb2312-l1"]!) == nil)
        // The coordinator can still store it once.
        try RunStore(connection: connection).setCharset(run: ids["gb2312-l1"]!, characters: ["一"])
        #expect(try storedAlphabet(connection, run: ids["gb2312-l1"]!) == ["一"])
    }
}
