import ArgumentParser

struct DBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage the database: the local PostgreSQL cluster and the schema.",
        discussion: """
            Without --db or DATABASE_URL, crnn-cluster uses a private PostgreSQL cluster under \
            $CRNN_HOME/pg (default ./.crnn/pg) that listens only on a Unix socket.
            """,
        subcommands: [DBStart.self, DBStop.self, DBStatus.self, DBURL.self, DBPsql.self, DBMigrate.self, DBWorkerRole.self])
}
