import Testing
import TestSupport
@testable import Store

/// A state or kind read back from PostgreSQL is one this build knows, or an error naming the
/// column and the value: never another state taken in its place.
@Suite struct NamedColumnTests {
    @Test func anUnknownOrMissingNameIsAnError() throws {
        let connection = try PostgresConnection(url: TestDatabase.freshDatabaseURL())
        let row = try connection.execute("SELECT 'running'::text AS state, 'exploded'::text AS later, NULL::text AS nothing")
        #expect(try row.named(RunState.self, 0, 0) == .running)
        #expect { try row.named(RunState.self, 0, 1) } throws: { "\($0)".contains("later") && "\($0)".contains("'exploded'") }
        #expect { try row.named(RunState.self, 0, 2) } throws: { "\($0)".contains("nothing") && "\($0)".contains("NULL") }
    }
}
