import ArgumentParser
import CommandLineSupport
import Store

struct DBMigrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply the schema migrations this build carries.")

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let connection = try PostgresConnection(url: database.location.connectionURL(), applicationName: "crnnctl")
        let migrator = Migrator(connection: connection)
        let applied = try migrator.migrate()
        if applied.isEmpty {
            print("schema up to date at version \(try migrator.currentVersion())")
        } else {
            print("applied migrations \(applied.map(String.init).joined(separator: ", ")); schema at version \(try migrator.currentVersion())")
        }
    }
}
