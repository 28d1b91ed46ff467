// A dataset run's images as the coordinator (held-out lines) and the workers (a shard's slice of the
// training lines) read them: decoded, fitted to the model input, scaled to [-1, 1].
//
// Shapes: images [n, H, W] floats in [-1, 1] (H×W = the run's image size).
import Foundation
import Store
import TextImages

/// Why a dataset run cannot read its data on this machine.
public enum DatasetAccessError: Error, CustomStringConvertible {
    /// The folder or its labels.tsv cannot be read here (`machine`: "this worker", "the coordinator").
    case unreadable(run: Int64, path: String, machine: String, reason: String)
    /// labels.tsv no longer has the number of lines counted at submit time, so the shards' slices
    /// would not mean what they meant.
    case changed(run: Int64, path: String, now: Int, submitted: Int)
    /// Every held-out line was skipped: nothing to validate on.
    case noUsableValidation(run: Int64, path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(run, path, machine, reason):
            return "run \(run): dataset folder \(path) not readable on \(machine): \(reason) (every machine must reach the folder at the same path)"
        case let .changed(run, path, now, submitted):
            return "run \(run): dataset folder \(path) changed since submit: labels.tsv has \(now) labelled lines, \(submitted) when the run was submitted (submit a new run)"
        case let .noUsableValidation(run, path, reason):
            return "run \(run): dataset folder \(path): none of the held-out lines is usable (\(reason))"
        }
    }
}

/// One line left out of a batch, and why (unknown characters, an image that does not decode).
public struct SkippedLine: Sendable, CustomStringConvertible {
    public let line: Int
    public let reason: String
    public var description: String { "labels.tsv:\(line): \(reason)" }

    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }
}

/// A dataset opened for one run (a folder, or a dataset stored in PostgreSQL): its lines, their
/// split, and batch loading.
public struct DatasetSamples: Sendable {
    public let dataset: LabelledDataset
    public let split: DatasetSplit
    let width: Int, height: Int
    let direction: TextImages.TextDirection
    /// For a stored dataset: where its images are read (one query per batch).
    let stored: StoredImages?

    /// Lines in the dataset (held-out ones included).
    public var count: Int { dataset.count }
    /// The folder, or `dataset NAME` for a stored one: what messages call it.
    public var name: String { dataset.directory }

    /// Opens the run's dataset with the run's alphabet: reads a folder's `labels.tsv`, or a stored
    /// dataset's labels from `databaseURL` (which it keeps a connection to for the images).
    /// - Parameter machine: who reads it, for the error ("this worker", "the coordinator").
    /// - Throws: `DatasetAccessError` (unreadable here, or changed since submit).
    public init(recipe: RunRecipe, machine: String, databaseURL: String? = nil) throws {
        let dataset: LabelledDataset
        let submitted: Int
        switch recipe.config.data.labelledLines ?? recipe.config.data {
        case .dataset(let path, let samples):
            submitted = samples
            do {
                dataset = try LabelledDataset(directory: path, charset: recipe.charset)
            } catch {
                throw DatasetAccessError.unreadable(run: recipe.run, path: path, machine: machine, reason: "\(error)")
            }
            stored = nil
        case .stored(let name, let id, let samples):
            submitted = samples
            do {
                guard let databaseURL else { throw PostgresError(.connection, "no database to read it from") }
                let images = try StoredImages(url: databaseURL, dataset: id, name: name)
                dataset = LabelledDataset(name: "dataset \(name)", labels: try images.labels(), charset: recipe.charset)
                stored = images
            } catch {
                throw DatasetAccessError.unreadable(run: recipe.run, path: "dataset \(name)", machine: machine, reason: "\(error)")
            }
        case .synthetic, .mix:
            preconditionFailure("DatasetSamples for run \(recipe.run), which reads no labelled lines")
        }
        guard dataset.count == submitted else {
            throw DatasetAccessError.changed(run: recipe.run, path: dataset.directory, now: dataset.count, submitted: submitted)
        }
        self.dataset = dataset
        split = DatasetSplit(lines: dataset.count, heldOut: recipe.config.heldOutSamples, seed: recipe.config.seed)
        width = recipe.config.image.width
        height = recipe.config.image.height
        direction = recipe.config.direction == .vertical ? .vertical : .horizontal
    }

    /// Loads lines `indices` into `images`, packed: the k-th usable line fills image slot k.
    /// A line whose label has characters outside the charset, or whose image does not decode,
    /// is skipped (and reported) rather than failing the whole shard.
    /// - Returns: the labels of the loaded lines (as many as images written) and the skipped lines.
    public func load<C: Collection>(_ indices: C, into images: UnsafeMutablePointer<Float>)
        -> (labels: [[Int]], skipped: [SkippedLine]) where C.Element == Int {
        var labels: [[Int]] = []
        var skipped: [SkippedLine] = []
        let perImage = width * height
        // A stored dataset's images of these lines, in one query (a failed query skips them all, with why).
        var bytes: [Int: [UInt8]] = [:]
        var storedFailure: String?
        if let stored {
            do {
                bytes = try stored.images(lines: indices.map { dataset.entries[$0].line })
            } catch {
                storedFailure = "\(error)"
            }
        }
        for i in indices {
            let entry = dataset.entries[i]
            guard entry.unknownCount == 0 else {
                skipped.append(SkippedLine(line: entry.line, reason: "label '\(entry.text)' has \(entry.unknownCount) character(s) outside the run's charset"))
                continue
            }
            do {
                let image: GreyImage
                if stored != nil {
                    guard let data = bytes[entry.line] else {
                        throw DatasetAccessError.unreadable(run: 0, path: name, machine: "this machine",
                                                            reason: storedFailure ?? "line \(entry.line) is missing")
                    }
                    image = try ImageFile.decode(data, name: "\(name) line \(entry.line)")
                        .fitted(width: width, height: height, vertical: direction == .vertical)
                } else {
                    image = try dataset.load(i, width: width, height: height, direction: direction).image
                }
                normalize(image.pixels, into: images + labels.count * perImage)
                labels.append(entry.classes.map(Int.init))
            } catch {
                skipped.append(SkippedLine(line: entry.line, reason: "\(error)"))
            }
        }
        return (labels, skipped)
    }

    /// The held-out lines, loaded: images [n, H, W] and labels of the usable ones.
    /// - Throws: `DatasetAccessError.noUsableValidation` when every held-out line is skipped.
    public func loadValidation(run: Int64) throws -> (images: [Float], labels: [[Int]], skipped: [SkippedLine]) {
        var images = [Float](repeating: 0, count: split.validation.count * width * height)
        let (labels, skipped) = images.withUnsafeMutableBufferPointer { load(split.validation, into: $0.baseAddress!) }
        guard !labels.isEmpty else {
            throw DatasetAccessError.noUsableValidation(
                run: run, path: name, reason: skipped.first.map(\.description) ?? "no held-out lines")
        }
        images.removeLast(images.count - labels.count * width * height)
        return (images, labels, skipped)
    }
}

/// A stored dataset's connection for its labels and images: its own, used by one caller at a time
/// (the worker's training thread, the coordinator's validation set).
final class StoredImages: @unchecked Sendable {
    let dataset: Int64
    let name: String
    private let url: String
    private var connection: PostgresConnection?
    private let lock = NSLock()

    init(url: String, dataset: Int64, name: String) throws {
        self.url = url; self.dataset = dataset; self.name = name
    }

    private func store() throws -> DatasetStore {
        if connection?.isHealthy != true { connection = try PostgresConnection(url: url, applicationName: "crnn-dataset") }
        return DatasetStore(connection: connection!)
    }

    func labels() throws -> [String] {
        try lock.withLock { try store().labels(dataset: dataset) }
    }

    /// The images of `lines` (1-based), by line.
    func images(lines: [Int]) throws -> [Int: [UInt8]] {
        try lock.withLock { try store().images(dataset: dataset, lines: lines) }
    }
}
