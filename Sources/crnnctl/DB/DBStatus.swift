import ArgumentParser
import CommandLineSupport
import Store

struct DBStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show where the database is, whether it runs, and its schema version.")

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        switch database.location {
        case .url(let url):
            print("database: \(url) (from --db or DATABASE_URL)")
            try printSchemaVersion(url: url)
        case .local(let home):
            let cluster = LocalPostgres(home: home)
            print("local cluster: \(cluster.dataDirectory)")
            switch cluster.state() {
            case .notCreated:
                print("state: not created (crnnctl db start creates it)")
                throw ExitCode(3)
            case .stopped:
                print("state: stopped")
                throw ExitCode(3)
            case .running(let pid):
                print("state: running (pid \(pid))\nurl: \(cluster.url)")
                try printSchemaVersion(url: cluster.url)
            }
        }
    }

    private func printSchemaVersion(url: String) throws {
        let connection = try PostgresConnection(url: url, applicationName: "crnnctl")
        let migrator = Migrator(connection: connection)
        let version = try migrator.isMigrated() ? try migrator.currentVersion() : 0
        print("schema: version \(version) (this build knows \(migrator.latestKnownVersion))")
    }
}
