import ArgumentParser
import CommandLineSupport
import DatasetImport
import Foundation
import Store
import TextImages
import Training

struct DatasetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets",
        abstract: "Datasets in PostgreSQL (add, list, rm), imported from the formats people have; check one before a long run.",
        discussion: """
            A stored dataset is trained on with data: {dataset: NAME}: every worker reads its \
            shard's lines from the database, so no machine needs a shared folder. A folder \
            (datasets import converts one) is trained on with data: {dataset: /path/to/folder}.
            """,
        subcommands: [DatasetsAdd.self, DatasetsList.self, DatasetsShow.self, DatasetsRemove.self, DatasetsImport.self, DatasetsCheck.self])
}

/// The dataset to read: where, in which format, and (PaddleOCR lists) under which folder.
struct DatasetSourceOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("The dataset: a folder (tsv, easyocr, lmdb) or a list file (paddle).", valueName: "source"))
    var source: String

    @Option(help: "tsv, paddle, easyocr or lmdb (default: detected from the source).")
    var format: DatasetFormat?

    @Option(help: ArgumentHelp("paddle: the folder the list's image paths are under.", valueName: "folder"))
    var root: String?

    /// The format to read `source` in: given, or detected.
    func resolvedFormat() throws -> DatasetFormat {
        guard let format = format ?? DatasetFormat.detect(source) else {
            throw ValidationError("\(source): not a dataset this command knows (a folder with labels.tsv, labels.csv or "
                                  + "data.mdb, or a PaddleOCR list file); give --format")
        }
        return format
    }
}

struct DatasetsAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Store a dataset in PostgreSQL: every image (its original bytes) and label, in one transaction.",
        discussion: """
            SOURCE in any format datasets import reads (tsv, paddle, easyocr, lmdb; detected by \
            default). A problem names the file and line; nothing is stored unless every line is.

            Example: crnnctl datasets add receipts /data/receipts_lmdb && crnnctl submit run.yaml   # data: {dataset: receipts}
            """)

    @OptionGroup var database: DatabaseOptions

    @Argument(help: ArgumentHelp("The dataset's name (letters, digits, '_', '.', '-').", valueName: "name"))
    var name: String

    @OptionGroup var from: DatasetSourceOptions


    func run() throws {
        let format = try from.resolvedFormat()
        let store = DatasetStore(connection: try database.connect(applicationName: "crnnctl"))
        let started = Date()
        do {
            let record = try store.add(name: name, source: URL(fileURLWithPath: from.source).standardizedFileURL.path,
                                       format: format.rawValue) { line in
                try format.read(from.source, root: from.root) { try line($0.bytes, $0.label) }
            }
            print("dataset \(record.name) added: \(record.lines) lines, \(record.bytes) bytes of images, "
                  + String(format: "%.1f s", Date().timeIntervalSince(started)))
        } catch let error as ImportError {
            printError("error: \(error) (nothing stored)")
            throw ExitCode(1)
        } catch let failure as DatasetStore.Failure {
            throw ValidationError("\(failure)")
        }
    }
}

struct DatasetsList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The datasets stored in PostgreSQL.")

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let datasets = try DatasetStore(connection: try database.connect(applicationName: "crnnctl")).list()
        if json { return try printJSON(datasets) }
        guard !datasets.isEmpty else { return print("no dataset stored yet: crnnctl datasets add NAME SOURCE") }
        print(textTable(["NAME", "LINES", "BYTES", "FORMAT", "SOURCE", "ADDED"],
                        datasets.map { [$0.name, String($0.lines), String($0.bytes), $0.format, $0.source, $0.createdAt] }))
    }
}

struct DatasetsShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "A stored dataset: where it came from, its size, its labels' characters and lengths.")

    @OptionGroup var database: DatabaseOptions

    @Argument(help: ArgumentHelp("The dataset's name.", valueName: "name"))
    var name: String

    func run() throws {
        let store = DatasetStore(connection: try database.connect(applicationName: "crnnctl"))
        let record: DatasetStore.Record
        do { record = try store.find(name) } catch let failure as DatasetStore.Failure { throw ValidationError("\(failure)") }
        let labels = try store.labels(dataset: record.id)
        var characters: [Character: Int] = [:]
        for label in labels { for c in label { characters[c, default: 0] += 1 } }
        let lengths = labels.map(\.count).sorted()
        print("dataset \(record.name): \(record.lines) lines, \(record.bytes) bytes of images (\(record.format), from \(record.source), added \(record.createdAt))")
        if let shortest = lengths.first, let longest = lengths.last {
            print("label lengths: \(shortest)–\(longest) characters, median \(lengths[lengths.count / 2])")
        }
        let common = characters.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
        print("\(characters.count) distinct characters; most used: " + common.prefix(30).map { "'\($0.key)'×\($0.value)" }.joined(separator: " "))
        print("first lines: " + labels.prefix(5).map { "\"\($0)\"" }.joined(separator: ", "))
    }
}

struct DatasetsRemove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a stored dataset and its lines.")

    @OptionGroup var database: DatabaseOptions

    @Argument(help: ArgumentHelp("The dataset's name.", valueName: "name"))
    var name: String

    @Flag(help: "Remove it even while queued, running or paused runs train on it (their shards then fail).")
    var force = false

    func run() throws {
        do {
            try DatasetStore(connection: try database.connect(applicationName: "crnnctl")).remove(name, force: force)
            print("dataset \(name) removed")
        } catch let failure as DatasetStore.Failure {
            throw ValidationError("\(failure)")
        }
    }
}

extension DatasetFormat: ExpressibleByArgument {}

struct DatasetsImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert a dataset into a folder a run trains on (labels.tsv + images).",
        discussion: """
            Formats (--format, detected by default): tsv (a folder with labels.tsv: ours, and \
            crnnctl gen output), paddle (a PaddleOCR recognition list: relative/path<TAB>label per \
            line, paths under --root, by default the list's folder), easyocr (a folder with \
            labels.csv: filename,words), lmdb (the crnn.pytorch / deep-text-recognition-benchmark \
            layout: num-samples, image-%09d, label-%09d). Images are copied byte for byte (PNG or \
            JPEG). A problem names the file and line (or LMDB key); nothing is left half-imported: \
            the folder appears only when every line was read. Then: crnnctl datasets check FOLDER.

            Example: crnnctl datasets import train_lmdb/ -o lines/ && crnnctl datasets check lines/ --config run.yaml
            """)

    @OptionGroup var from: DatasetSourceOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("The new folder to write.", valueName: "folder"))
    var output: String


    func run() throws {
        let format = try from.resolvedFormat()
        do {
            let summary = try FolderWriter.importDataset(from.source, format: format, root: from.root, into: output)
            print("imported \(summary.lines) lines (\(summary.bytes) bytes of images) from \(from.source) (\(format.rawValue)) into \(output)")
        } catch let error as ImportError {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}

struct DatasetsCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a dataset (a folder, or one stored in PostgreSQL) for what would spoil a run on it.",
        discussion: """
            Decodes every image (unreadable or blank ones), checks every label (empty, characters \
            outside the run's charset with their counts, longer than the CTC sequence at the run's \
            image size: a label of n characters with r adjacent repeats needs n + r time steps, \
            W/4 − 3 of them for W pixels along the line), finds duplicate images, and prints \
            height and aspect-ratio histograms and whether the lines look like the run's direction. \
            Without --config only what needs no run is checked. submit runs the same check on a \
            dataset run and refuses one that would fail.

            Exit status: 0 no problem; 1 lines a run would skip, or a run would fail; 64 usage error.

            Example: crnnctl datasets check scans/ --config run.yaml
                     crnnctl datasets check receipts --config run.yaml   (a stored dataset)
            """)

    @OptionGroup var database: DatabaseOptions

    @Argument(help: ArgumentHelp("A dataset folder (with labels.tsv), or the name of a stored dataset.", valueName: "folder-or-name"))
    var folder: String

    @Option(help: ArgumentHelp("The run config the dataset is for: its charset, image size and direction.", valueName: "file"))
    var config: String?

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        var alphabet: [String]?
        var image: (width: Int, height: Int)?
        var direction = TextImages.TextDirection.horizontal
        if let config {
            let parsed = try RunConfigParser().parse(file: config)
            alphabet = try runAlphabet(parsed)
            image = (parsed.image.width, parsed.image.height)
            direction = parsed.direction
        }
        let path = URL(fileURLWithPath: folder).standardizedFileURL.path
        let report: DatasetReport
        if !FileManager.default.fileExists(atPath: path) && DatasetStore.isName(folder) {
            let store = DatasetStore(connection: try database.connect(applicationName: "crnnctl"))
            report = DatasetCheck.run(stored: folder, store: store, alphabet: alphabet, image: image, direction: direction)
        } else {
            report = DatasetCheck.run(folder: path, alphabet: alphabet, image: image, direction: direction)
        }
        if json {
            try printJSON(report)
        } else {
            print(DatasetCheck.summary(report))
        }
        if !report.errors.isEmpty || report.fatal != nil { throw ExitCode(1) }
    }
}

/// The characters of a run's charset, as submit resolves them (a preset's data file is read here).
func runAlphabet(_ config: RunConfig) throws -> [String] {
    switch config.charset {
    case .preset(let preset): return try preset.builtInCharacters ?? Charset.preset(preset.rawValue).characters
    case .file: return config.fileCharacters ?? []
    }
}
