import Foundation

/// Checkpoint files in PostgreSQL: bytes in `checkpoint_chunks` (8 MiB pieces), the file's size
/// and SHA-256 in `checkpoints`, with the metrics it was taken at. Fetching re-hashes the stored
/// chunks and refuses a damaged checkpoint; retention keeps the best k and the latest.
///
/// The SHA-256 is PostgreSQL's `sha256()` over the chunks as stored, so it detects damage at rest
/// (the threat here); bytes in transit are covered by TCP and the checkpoint format's own checksum.
public struct CheckpointStore {
    public enum Kind: String, Codable, CaseIterable, Sendable {
        /// Kept while among the run's best k by validation accuracy.
        case best
        /// Only the newest is kept.
        case latest
    }

    public enum Selector: Equatable, Sendable {
        case best, latest
        case step(Int64)
    }

    public struct Record: Codable, Equatable, Sendable {
        public let id: Int64
        public let run: Int64
        public let step: Int64
        public let kind: Kind
        public let createdAt: String
        /// JSON object, e.g. {"val_accuracy": 0.91}.
        public let metrics: String
        public let size: Int
        public let sha256: String
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case notFound(run: Int64, Selector)
        case damaged(checkpoint: Int64, expectedSHA256: String, actualSHA256: String, expectedSize: Int, actualSize: Int)

        public var description: String {
            switch self {
            case .notFound(let run, let selector):
                let what: String
                switch selector {
                case .best: what = "no best checkpoint"
                case .latest: what = "no checkpoint"
                case .step(let step): what = "no checkpoint at step \(step)"
                }
                return "run \(run) has \(what)"
            case .damaged(let id, let expected, let actual, let expectedSize, let actualSize):
                return "checkpoint \(id) is damaged in the database: recorded SHA-256 \(expected) (\(expectedSize) bytes), "
                    + "stored chunks hash to \(actual) (\(actualSize) bytes)"
            }
        }
    }

    /// 8 MiB: far below bytea's 1 GB limit and libpq's comfort, large enough that a 95 MB
    /// checkpoint is a dozen rows.
    public static let defaultChunkSize = 8 << 20

    let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    /// Stores `bytes` as a checkpoint of `run` at `step`, in one transaction (a half-written
    /// checkpoint is never visible).
    /// - Parameter metrics: the snapshot kept with it (`val_accuracy` ranks the best ones).
    public func store(
        run: Int64, step: Int64, kind: Kind, bytes: [UInt8], metrics: [String: Double] = [:],
        chunkSize: Int = CheckpointStore.defaultChunkSize
    ) throws -> Record {
        precondition(chunkSize > 0, "chunk size must be positive")
        let metricsJSON = String(decoding: try JSONSerialization.data(withJSONObject: metrics, options: [.sortedKeys]), as: UTF8.self)
        return try connection.transaction {
            try insert(run: run, step: step, kind: kind, bytes: bytes, metricsJSON: metricsJSON, chunkSize: chunkSize)
        }
    }

    /// `store`'s statements without their own transaction, for callers that already hold one
    /// (a run submitted with its initial checkpoint is one transaction).
    func insert(run: Int64, step: Int64, kind: Kind, bytes: [UInt8], metricsJSON: String,
                chunkSize: Int = CheckpointStore.defaultChunkSize) throws -> Record {
        // The hash is filled in after the chunks are in; the placeholder never leaves the transaction.
        let inserted = try connection.execute(Queries.insertCheckpoint, [run, step, kind.rawValue, metricsJSON, bytes.count])
        guard let id = try inserted.int(0, 0).map(Int64.init) else {
            throw PostgresError(.protocolMismatch, "INSERT INTO checkpoints returned no id")
        }
        var seq = 0
        var offset = 0
        repeat {
            let end = min(offset + chunkSize, bytes.count)
            try connection.execute(Queries.insertCheckpointChunk, [id, seq, Array(bytes[offset..<end])])
            seq += 1
            offset = end
        } while offset < bytes.count
        try connection.execute(Queries.recordCheckpointDigest, [id])
        guard let stored = try records(Queries.selectCheckpoint, [id]).first else {
            throw PostgresError(.protocolMismatch, "checkpoint \(id) vanished inside its own transaction")
        }
        return stored
    }

    /// A run's checkpoints, oldest step first.
    public func list(run: Int64) throws -> [Record] {
        try records(Queries.listCheckpoints, [run])
    }

    /// The checkpoint `selector` names: best = highest val_accuracy (the `best_checkpoints` view),
    /// latest = highest step, step N = the newest taken at N.
    public func find(run: Int64, _ selector: Selector) throws -> Record {
        let found: [Record]
        switch selector {
        case .best: found = try records(Queries.selectBestCheckpoint, [run])
        case .latest: found = try records(Queries.selectLatestCheckpoint, [run])
        case .step(let step): found = try records(Queries.selectCheckpointAtStep, [run, step])
        }
        guard let record = found.first else { throw Failure.notFound(run: run, selector) }
        return record
    }

    /// The checkpoint's bytes, after checking the stored chunks still hash to the recorded SHA-256.
    /// - Throws: `Failure.damaged` when they do not.
    public func fetch(_ record: Record) throws -> [UInt8] {
        try verify(record)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(record.size)
        // One chunk per statement: memory stays at one chunk beyond the result.
        let count = try connection.execute(Queries.countCheckpointChunks, [record.id])
        for seq in 0..<(try count.int(0, 0) ?? 0) {
            let chunk = try connection.execute(Queries.selectCheckpointChunk, [record.id, seq], binaryResults: true)
            guard !chunk.isEmpty, let piece = chunk.bytes(0, 0) else {
                throw Failure.damaged(checkpoint: record.id, expectedSHA256: record.sha256, actualSHA256: "chunk \(seq) missing",
                                      expectedSize: record.size, actualSize: bytes.count)
            }
            bytes += piece
        }
        guard bytes.count == record.size else {
            throw Failure.damaged(checkpoint: record.id, expectedSHA256: record.sha256, actualSHA256: record.sha256,
                                  expectedSize: record.size, actualSize: bytes.count)
        }
        return bytes
    }

    /// Checks the stored chunks against the recorded size and SHA-256.
    public func verify(_ record: Record) throws {
        let hash = try connection.execute(Queries.hashCheckpointChunks, [record.id])
        let actual = hash.string(0, 0) ?? ""
        let size = try hash.int(0, 1) ?? 0
        guard actual == record.sha256, size == record.size else {
            throw Failure.damaged(checkpoint: record.id, expectedSHA256: record.sha256, actualSHA256: actual,
                                  expectedSize: record.size, actualSize: size)
        }
    }

    /// Keeps the `best` checkpoints of kind best with the highest val_accuracy and (when
    /// `keepLatest`) the newest of kind latest; deletes the rest with their chunks.
    /// - Returns: the ids deleted.
    @discardableResult
    public func applyRetention(run: Int64, best: Int, keepLatest: Bool) throws -> [Int64] {
        let deleted = try connection.execute(Queries.applyCheckpointRetention, [run, best, keepLatest])
        return try (0..<deleted.count).compactMap { try deleted.int($0, 0).map(Int64.init) }
    }

    /// The rows of `query`, one of the checkpoint selects in checkpoints.sql (same columns, same order).
    private func records(_ query: String, _ parameters: [PostgresBindable]) throws -> [Record] {
        let result = try connection.execute(query, parameters)
        return try (0..<result.count).map { row in
            Record(id: Int64(try result.int(row, 0) ?? 0), run: Int64(try result.int(row, 1) ?? 0),
                   step: Int64(try result.int(row, 2) ?? 0), kind: try result.named(Kind.self, row, 3),
                   createdAt: result.string(row, 4) ?? "", metrics: result.string(row, 5) ?? "{}",
                   size: try result.int(row, 6) ?? 0, sha256: result.string(row, 7) ?? "")
        }
    }
}
