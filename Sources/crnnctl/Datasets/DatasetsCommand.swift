import ArgumentParser
import DatasetImport
import Foundation
import Store
import TextImages
import Training

struct DatasetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets",
        abstract: "Import labelled lines from the formats people have; check a dataset folder before a long run.",
        subcommands: [DatasetsImport.self, DatasetsCheck.self])
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

    @Argument(help: ArgumentHelp("The dataset: a folder (tsv, easyocr, lmdb) or a list file (paddle).", valueName: "source"))
    var source: String

    @Option(name: .shortAndLong, help: ArgumentHelp("The new folder to write.", valueName: "folder"))
    var output: String

    @Option(help: "tsv, paddle, easyocr or lmdb (default: detected from the source).")
    var format: DatasetFormat?

    @Option(help: ArgumentHelp("paddle: the folder the list's image paths are under.", valueName: "folder"))
    var root: String?

    func run() throws {
        guard let format = format ?? DatasetFormat.detect(source) else {
            throw ValidationError("\(source): not a dataset this command knows (a folder with labels.tsv, labels.csv or "
                                  + "data.mdb, or a PaddleOCR list file); give --format")
        }
        do {
            let summary = try FolderWriter.importDataset(source, format: format, root: root, into: output)
            print("imported \(summary.lines) lines (\(summary.bytes) bytes of images) from \(source) (\(format.rawValue)) into \(output)")
        } catch let error as ImportError {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}

struct DatasetsCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a dataset folder (labels.tsv and its images) for what would spoil a run on it.",
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
            """)

    @Argument(help: ArgumentHelp("The dataset folder (with labels.tsv).", valueName: "folder"))
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
        let report = DatasetCheck.run(folder: path, alphabet: alphabet, image: image, direction: direction)
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
