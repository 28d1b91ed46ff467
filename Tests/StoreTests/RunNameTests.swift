import Foundation
import Testing
import TestSupport
@testable import Store

/// Run names are one line of at most 200 characters, from the config, --set, --name or the
/// store's own API (a NUL reached PostgreSQL as a raw error; a 50 MB name was stored).
@Suite struct RunNameTests {
    let minimal = """
        model: tiny
        charset: digits
        data:
          synthetic: {samples_per_epoch: 1000}

        """

    func failure(_ yaml: String, overrides: [String] = []) -> RunConfigError? {
        do {
            _ = try RunConfigParser().parse(yaml: yaml, file: "run.yaml", baseDirectory: "/tmp", overrides: overrides)
            Issue.record("expected a RunConfigError")
            return nil
        } catch {
            return error as? RunConfigError
        }
    }

    @Test func runNamesAreOneLineOfBoundedLength() throws {
        let nul = failure(minimal + "name: \"a\\0b\"")
        #expect(nul?.key == "name" && nul?.reason.contains("control characters (it has U+0000)") == true, "\(String(describing: nul))")
        let long = failure(minimal, overrides: ["name=" + String(repeating: "n", count: 201)])
        #expect(long?.key == "name" && long?.reason.contains("at most 200 characters, got 201") == true, "\(String(describing: long))")
        #expect(try RunConfigParser().parse(yaml: minimal + "name: 字体-run 2 ✓", file: "run.yaml", baseDirectory: "/tmp").name == "字体-run 2 ✓")
        #expect(RunName.problem(String(repeating: "x", count: 50_000_000))?.contains("at most 200 characters") == true)
        #expect(RunName.problem("tab\there")?.contains("U+0009") == true)
        #expect(RunName.problem("   ") == "must not be empty")
    }

    @Test func submitRefusesABadNameWithoutStoringIt() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let store = RunStore(connection: connection)
        let config = try StoreFixtures.config(shards: 2)
        for name in ["a\u{0}b", String(repeating: "x", count: 50_000_000)] {
            #expect { try store.submit(config: config, configYAML: "#", name: name, actor: "test") } throws: {
                guard case .badName = $0 as? RunStore.Failure else { return false }
                return true
            }
        }
        #expect(try connection.execute("SELECT count(*) FROM runs").int(0, 0) == 0)
    }
}
