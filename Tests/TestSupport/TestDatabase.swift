import Foundation
import Store

/// A real, throwaway PostgreSQL for tests: one private cluster per test process (started on
/// first use, stopped and deleted at exit), and a fresh database per test so tests never see
/// each other's rows.
public enum TestDatabase {
    /// The shared cluster. `static let` gives thread-safe one-time start under parallel tests.
    private static let cluster: Result<LocalPostgres, Error> = {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("crnn-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        let cluster = LocalPostgres(home: CRNNHome(path: directory))
        do {
            try cluster.start()
            clusterToStop = cluster
            atexit {
                _ = try? TestDatabase.clusterToStop?.stop()
                if let directory = TestDatabase.clusterToStop?.home.path {
                    try? FileManager.default.removeItem(atPath: directory)
                }
            }
            return .success(cluster)
        } catch {
            return .failure(error)
        }
    }()

    nonisolated(unsafe) static var clusterToStop: LocalPostgres?

    /// The running test cluster.
    public static func sharedCluster() throws -> LocalPostgres {
        try cluster.get()
    }

    /// Creates an empty database and returns its URL.
    public static func freshDatabaseURL(prefix: String = "t") throws -> String {
        let cluster = try sharedCluster()
        let name = "\(prefix)_\(UInt64.random(in: 0...UInt64.max) % 1_000_000_000_000)"
        let admin = try PostgresConnection(url: cluster.url)
        // The name is generated here from digits, never from input; CREATE DATABASE takes no binds.
        try admin.execute("CREATE DATABASE \(name)")
        return cluster.url.replacingOccurrences(of: "///\(LocalPostgres.databaseName)?", with: "///\(name)?")
    }

    /// A connection to a fresh database, with every migration applied.
    public static func freshMigratedConnection() throws -> PostgresConnection {
        let connection = try PostgresConnection(url: freshDatabaseURL())
        try Migrator(connection: connection).migrate()
        return connection
    }
}
