import ArgumentParser
import Store

struct DBStop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop the local PostgreSQL cluster (its data stays).")

    func run() throws {
        let cluster = LocalPostgres(home: .fromEnvironment())
        print(try cluster.stop() ? "stopped PostgreSQL in \(cluster.dataDirectory)" : "PostgreSQL was not running")
    }
}
