import Foundation

/// Datasets stored in PostgreSQL: added in one transaction (a dataset is visible only whole),
/// listed, removed, and read by coordinators (every label, the held-out images) and workers (a
/// shard's images, one query).
public struct DatasetStore {
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case badName(String)
        case exists(String)
        case noSuchDataset(String)
        case empty(String)
        /// Unfinished runs train on it: "run 3 (running)", …
        case inUse(String, runs: [String])

        public var description: String {
            switch self {
            case .badName(let name):
                return "dataset name '\(name)': 1 to 100 letters, digits, '_', '.' or '-', starting with a letter or digit"
            case .exists(let name): return "a dataset named '\(name)' already exists (crnnctl datasets rm \(name) first)"
            case .noSuchDataset(let name): return "there is no dataset '\(name)' in the database (crnnctl datasets list)"
            case .empty(let name): return "dataset '\(name)': the source holds no labelled image"
            case .inUse(let name, let runs):
                return "dataset '\(name)' is what \(runs.joined(separator: ", ")) train\(runs.count == 1 ? "s" : "") on: "
                    + "without it \(runs.count == 1 ? "its" : "their") shards would fail. Cancel \(runs.count == 1 ? "it" : "them") first (crnnctl cancel RUN), "
                    + "or give --force"
            }
        }
    }

    public struct Record: Codable, Equatable, Sendable {
        public let id: Int64
        public let name: String
        public let source: String
        public let format: String
        public let lines: Int
        public let bytes: Int
        public let createdAt: String
    }

    let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    /// Whether `name` is a dataset name (not a folder path).
    public static func isName(_ name: String) -> Bool {
        name.range(of: #"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"#, options: .regularExpression) != nil && !name.contains("..")
    }

    /// Adds dataset `name`: `lines` calls its argument once per labelled image, in order; any
    /// error it throws rolls the whole dataset back.
    /// - Returns: the stored record.
    public func add(name: String, source: String, format: String,
                    lines: ((_ image: [UInt8], _ label: String) throws -> Void) throws -> Void) throws -> Record {
        guard Self.isName(name) else { throw Failure.badName(name) }
        return try connection.transaction {
            let existing = try connection.execute(Queries.selectDatasets, [name])
            if !existing.isEmpty { throw Failure.exists(name) }
            let inserted: PostgresResult
            do {
                inserted = try connection.execute(Queries.insertDataset, [name, source, format])
            } catch let error as PostgresError where error.sqlState == "23505" {
                throw Failure.exists(name)   // an unfinished import of the same name holds the row
            }
            guard let id = try inserted.int(0, 0).map(Int64.init) else {
                throw PostgresError(.protocolMismatch, "INSERT INTO datasets returned no id")
            }
            var count = 0, bytes = 0
            try lines { image, label in
                count += 1
                bytes += image.count
                try connection.executePrepared("crnn_insert_dataset_line", Queries.insertDatasetLine, [id, count, label, image])
            }
            guard count > 0 else { throw Failure.empty(name) }
            try connection.execute(Queries.completeDataset, [id, count, bytes])
            return Record(id: id, name: name, source: source, format: format, lines: count, bytes: bytes, createdAt: "")
        }
    }

    /// Every complete dataset, or only `name`.
    public func list(_ name: String? = nil) throws -> [Record] {
        let rows = try connection.execute(Queries.selectDatasets, [name])
        return try (0..<rows.count).map { i in
            Record(id: Int64(try rows.int(i, 0) ?? 0), name: rows.string(i, 1) ?? "", source: rows.string(i, 2) ?? "",
                   format: rows.string(i, 3) ?? "", lines: try rows.int(i, 4) ?? 0, bytes: try rows.int(i, 5) ?? 0,
                   createdAt: rows.string(i, 6) ?? "")
        }
    }

    /// The dataset named `name`. - Throws: `Failure.noSuchDataset`.
    public func find(_ name: String) throws -> Record {
        guard let record = try list(name).first else { throw Failure.noSuchDataset(name) }
        return record
    }

    /// Removes dataset `name` and its lines.
    /// - Parameter force: remove it even while queued, running or paused runs train on it.
    /// - Throws: `Failure.noSuchDataset`; `Failure.inUse` (nothing removed) unless `force`.
    public func remove(_ name: String, force: Bool = false) throws {
        try connection.transaction {
            if !force, let record = try list(name).first {
                let users = try connection.execute(Queries.selectRunsUsingDataset, [record.id])
                let runs = try (0..<users.count).map { "run \(try users.int($0, 0) ?? 0) (\(users.string($0, 1) ?? "?"))" }
                if !runs.isEmpty { throw Failure.inUse(name, runs: runs) }
            }
            guard !(try connection.execute(Queries.deleteDataset, [name])).isEmpty else { throw Failure.noSuchDataset(name) }
        }
    }

    /// Every label of dataset `id`, in line order (line i + 1 is element i).
    public func labels(dataset id: Int64) throws -> [String] {
        let rows = try connection.execute(Queries.selectDatasetLabels, [id])
        return (0..<rows.count).map { rows.string($0, 0) ?? "" }
    }

    /// The images of `lines` (1-based) of dataset `id`, by line.
    public func images(dataset id: Int64, lines: [Int]) throws -> [Int: [UInt8]] {
        let rows = try connection.execute(Queries.selectDatasetImages, [id, PostgresArray.integers(lines)], binaryResults: true)
        var images: [Int: [UInt8]] = [:]
        for i in 0..<rows.count {
            // Binary results: the line as a 4-byte big-endian integer, the image as its bytes.
            guard let number = rows.bytes(i, 0), number.count == 4, let image = rows.bytes(i, 1) else { continue }
            images[number.reduce(0) { $0 << 8 | Int($1) }] = image
        }
        return images
    }
}
