import Testing
import TestSupport
@testable import Store

/// `executePrepared`: prepared once per connection, reused with new parameters, errors reported.
@Suite struct PreparedStatementTests {
    @Test func preparesOnceAndRebindsEachCall() throws {
        let connection = try PostgresConnection(url: TestDatabase.freshDatabaseURL())
        for value in [1, 20, 300] {
            let result = try connection.executePrepared("add_one", "SELECT $1::int + 1", [value])
            #expect(try result.int(0, 0) == value + 1)
        }
        let prepared = try connection.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = 'add_one'")
        #expect(try prepared.int(0, 0) == 1)
    }

    @Test func aBadStatementIsAnErrorAndNotRemembered() throws {
        let connection = try PostgresConnection(url: TestDatabase.freshDatabaseURL())
        #expect(throws: PostgresError.self) { try connection.executePrepared("broken", "SELEC 1") }
        #expect(throws: PostgresError.self) { try connection.executePrepared("broken", "SELEC 1") }
        #expect(try connection.executePrepared("fine", "SELECT 2").int(0, 0) == 2)
    }
}
