import ArgumentParser
import Store

struct DBStart: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Create (first time) and start the local PostgreSQL cluster, then migrate it.")

    func run() throws {
        let cluster = LocalPostgres(home: .fromEnvironment())
        let started = try cluster.start()
        let connection = try PostgresConnection(url: cluster.url, applicationName: "crnnctl")
        let applied = try Migrator(connection: connection).migrate()
        print(started ? "started PostgreSQL in \(cluster.dataDirectory)" : "PostgreSQL already running in \(cluster.dataDirectory)")
        if !applied.isEmpty { print("applied migrations \(applied.map(String.init).joined(separator: ", "))") }
        print("url: \(cluster.url)")
    }
}
