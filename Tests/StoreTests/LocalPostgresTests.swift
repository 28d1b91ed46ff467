import Foundation
import Testing
@testable import Store

@Suite struct LocalPostgresTests {
    func temporaryHome() -> CRNNHome {
        CRNNHome(path: FileManager.default.temporaryDirectory
            .appendingPathComponent("crnn-lp-\(UInt32.random(in: 0...UInt32.max))").path)
    }

    @Test func startTwiceThenStop() throws {
        let cluster = LocalPostgres(home: temporaryHome())
        defer { _ = try? cluster.stop(); try? FileManager.default.removeItem(atPath: cluster.home.path) }
        #expect(cluster.state() == .notCreated)
        #expect(try cluster.start() == true)
        #expect(try cluster.start() == false, "second start finds it running")
        let connection = try PostgresConnection(url: cluster.url)
        #expect(try connection.execute("SELECT current_database()::text").string(0, 0) == "crnn")
        #expect(try cluster.stop() == true)
        #expect(cluster.state() == .stopped)
        #expect(try cluster.stop() == false, "stopping a stopped cluster is harmless")
    }

    @Test func recoversFromAStalePidFile() throws {
        let cluster = LocalPostgres(home: temporaryHome())
        defer { _ = try? cluster.stop(); try? FileManager.default.removeItem(atPath: cluster.home.path) }
        try cluster.start()
        try cluster.stop()
        // What a crash leaves behind: a lock file naming a process that no longer exists.
        let lock = cluster.dataDirectory + "/postmaster.pid"
        try "4194000\n\(cluster.dataDirectory)\n0\n5432\n".write(toFile: lock, atomically: true, encoding: .utf8)
        #expect(cluster.state() == .stopped)
        #expect(try cluster.start() == true)
        guard case .running = cluster.state() else {
            Issue.record("cluster did not come back after a stale pid file"); return
        }
    }

    @Test func missingBinariesNameTheDebianPackage() {
        #expect {
            try LocalPostgres.binDirectory(
                environment: ["PATH": "/nonexistent", "CRNN_PG_BIN": "/nowhere"], debianRoot: "/nonexistent")
        } throws: { error in
            "\(error)".contains("apt-get install postgresql")
        }
    }
}
