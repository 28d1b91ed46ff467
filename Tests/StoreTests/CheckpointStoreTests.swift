import Foundation
import Testing
import TestSupport
@testable import Store

@Suite struct CheckpointStoreTests {
    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    @Test func roundTripIsBitExactAcrossChunks() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let run = try StoreFixtures.runningRun(connection, shards: 1)
        let bytes = Self.randomBytes(3 * 1024 * 1024 + 12345)
        let store = CheckpointStore(connection: connection)
        let record = try store.store(run: run, step: 100, kind: .best, bytes: bytes,
                                     metrics: ["val_accuracy": 0.8], chunkSize: 1 << 20)
        let chunks = try connection.execute("SELECT count(*) FROM checkpoint_chunks WHERE checkpoint_id = $1", [record.id])
        #expect(try chunks.int(0, 0) == 4)
        #expect(record.size == bytes.count)
        let direct = try connection.execute("SELECT encode(sha256($1::bytea), 'hex')", [bytes])
        #expect(record.sha256 == direct.string(0, 0), "the recorded hash is the file's SHA-256")
        #expect(try store.fetch(store.find(run: run, .best)) == bytes)
        #expect(try store.fetch(store.find(run: run, .step(100))) == bytes)
    }

    @Test func emptyCheckpointRoundTrips() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let run = try StoreFixtures.runningRun(connection, shards: 1)
        let store = CheckpointStore(connection: connection)
        let record = try store.store(run: run, step: 1, kind: .latest, bytes: [])
        #expect(try store.fetch(record) == [])
    }

    @Test func damagedChunkIsDetected() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let run = try StoreFixtures.runningRun(connection, shards: 1)
        let store = CheckpointStore(connection: connection)
        let record = try store.store(run: run, step: 7, kind: .latest, bytes: Self.randomBytes(300_000), chunkSize: 100_000)
        try connection.execute("""
            UPDATE checkpoint_chunks SET bytes = set_byte(bytes, 500, (get_byte(bytes, 500) + 1) % 256)
             WHERE checkpoint_id = $1 AND seq = 1
            """, [record.id])
        #expect {
            try store.fetch(record)
        } throws: { error in
            guard case CheckpointStore.Failure.damaged(record.id, record.sha256, let actual, _, _) = error else { return false }
            return actual != record.sha256 && "\(error)".contains("damaged")
        }
        try connection.execute("DELETE FROM checkpoint_chunks WHERE checkpoint_id = $1 AND seq = 2", [record.id])
        #expect(throws: CheckpointStore.Failure.self) { try store.fetch(record) }
    }

    @Test func retentionKeepsBestKAndLatest() throws {
        let connection = try TestDatabase.freshMigratedConnection()
        let run = try StoreFixtures.runningRun(connection, shards: 1)
        let store = CheckpointStore(connection: connection)
        var best: [Double: Int64] = [:]
        for (step, accuracy) in [(100, 0.5), (200, 0.9), (300, 0.7), (400, 0.6)] {
            best[accuracy] = try store.store(run: run, step: Int64(step), kind: .best, bytes: [UInt8(step % 256)],
                                             metrics: ["val_accuracy": accuracy]).id
        }
        let older = try store.store(run: run, step: 350, kind: .latest, bytes: [1]).id
        let newest = try store.store(run: run, step: 450, kind: .latest, bytes: [2]).id
        let deleted = try store.applyRetention(run: run, best: 2, keepLatest: true)
        #expect(Set(deleted) == [best[0.5]!, best[0.6]!, older])
        #expect(Set(try store.list(run: run).map(\.id)) == [best[0.9]!, best[0.7]!, newest])
        #expect(try store.find(run: run, .best).id == best[0.9]!)
        #expect(try store.find(run: run, .latest).id == newest)
        let chunks = try connection.execute("SELECT count(*) FROM checkpoint_chunks")
        #expect(try chunks.int(0, 0) == 3, "deleted checkpoints took their chunks along")
        #expect(throws: CheckpointStore.Failure.notFound(run: run, .step(999))) { try store.find(run: run, .step(999)) }
    }
}
