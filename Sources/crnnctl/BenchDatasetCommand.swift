import ArgumentParser
import CommandLineSupport
import Foundation
import Store
import TextImages

struct BenchDatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Measure how fast a worker reads a stored dataset: shards of random lines fetched, decoded and fitted.",
        discussion: """
            What a worker does per shard of a data: {dataset: NAME} run: one query for the \\
            shard's lines, then each image decoded and fitted to the run's input size. Prints \\
            lines/s of the whole path and of the query alone, to set against what one training \\
            thread consumes (crnnctl bench train).

            Example: crnnctl bench dataset digits100k --shard-size 512 --shards 20 --width 128
            """)

    @OptionGroup var database: DatabaseOptions

    @Argument(help: ArgumentHelp("A stored dataset (crnnctl datasets list).", valueName: "name"))
    var name: String

    @Option(help: "Lines per shard.")
    var shardSize = 512

    @Option(help: "Shards to read.")
    var shards = 20

    @Option(help: "The run's image width (height 32, horizontal).")
    var width = 128

    func run() throws {
        let store = DatasetStore(connection: try database.connect(applicationName: "crnnctl"))
        let record: DatasetStore.Record
        do { record = try store.find(name) } catch let failure as DatasetStore.Failure { throw ValidationError("\(failure)") }
        let labelsStarted = Date()
        let labels = try store.labels(dataset: record.id)
        let labelSeconds = Date().timeIntervalSince(labelsStarted)
        var generator = SplitMix64(seed: 7)
        var querySeconds = 0.0, totalSeconds = 0.0, lines = 0, bytes = 0
        for _ in 0..<shards {
            let picked = (0..<min(shardSize, labels.count)).map { _ in Int(generator.next() % UInt64(labels.count)) + 1 }
            let started = Date()
            let images = try store.images(dataset: record.id, lines: picked)
            querySeconds += Date().timeIntervalSince(started)
            for (line, data) in images {
                let image = try ImageFile.decode(data, name: "\(name) line \(line)")
                _ = image.fitted(width: width, height: 32, vertical: false)
                bytes += data.count
            }
            totalSeconds += Date().timeIntervalSince(started)
            lines += images.count
        }
        print("dataset \(name): \(record.lines) lines, \(record.bytes) bytes of images; all labels in "
              + String(format: "%.2f s", labelSeconds))
        print(String(format: "%d shards of %d random lines: %.0f lines/s fetched, decoded and fitted to %dx32 (%.0f lines/s the query alone, %.1f MB/s)",
                     shards, shardSize, Double(lines) / totalSeconds, width, Double(lines) / querySeconds,
                     Double(bytes) / querySeconds / 1e6))
    }
}
