import Foundation
import Testing
import TestSupport
@testable import Store

/// sql/queries/<area>.sql is where every statement is written; `Queries` is its generated copy.
@Suite struct QueriesTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("sql/queries")

    /// The statements of one query file, read as scripts/embed-sql reads them: after
    /// `-- name: x`, the comment lines are its doc, the rest up to the next name is the
    /// statement, without its final semicolon.
    static func statements(in text: String) -> [(name: String, sql: String)] {
        var statements: [(name: String, sql: String)] = []
        var name: String?
        var body: [Substring] = []
        var inDoc = false
        func flush() {
            guard let name else { return }
            var sql = body.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            if sql.hasSuffix(";") { sql.removeLast() }
            statements.append((name, sql))
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("-- name: ") {
                flush()
                name = String(line.dropFirst("-- name: ".count))
                body = []
                inDoc = true
            } else if inDoc && line.hasPrefix("--") {
                continue
            } else {
                inDoc = false
                if name != nil { body.append(line) }
            }
        }
        flush()
        return statements
    }

    /// The binaries carry sql/queries through a generated file; it must not go stale.
    @Test func generatedQueriesMatchTheQueryFiles() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        var written: [String] = []
        for file in files {
            let text = try String(contentsOf: Self.directory.appendingPathComponent(file), encoding: .utf8)
            let area = String(file.dropLast(".sql".count))
            for (name, sql) in Self.statements(in: text) {
                written.append(name)
                let generated = Queries.all.first { $0.name == name }
                #expect(generated?.area == area, "\(name) in \(file): run scripts/embed-sql")
                #expect(generated?.sql == sql, "\(name) in \(file) changed: run scripts/embed-sql")
            }
        }
        #expect(written.sorted() == Queries.all.map(\.name).sorted(), "run scripts/embed-sql")
        #expect(Set(written).count == written.count, "a query name is used twice")
    }

    /// Every statement parses, names real tables and columns, and has parameter types PostgreSQL
    /// can infer, against the schema the migrations make: a typo fails here, not in a worker.
    /// PREPARE takes only DML; the one DDL statement (createSchemaMigrations) runs in every
    /// migration test.
    @Test func everyQueryPreparesAgainstTheSchema() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let preparable = ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH"]
        var prepared = 0
        for query in Queries.all {
            guard let verb = query.sql.split(whereSeparator: \.isWhitespace).first,
                  preparable.contains(verb.uppercased()) else { continue }
            do {
                try connection.execute("PREPARE \(query.name.lowercased()) AS \(query.sql)")
                prepared += 1
            } catch {
                Issue.record("\(query.area).sql \(query.name): \(error)")
            }
        }
        #expect(prepared == Queries.all.count - 1)
    }
}
