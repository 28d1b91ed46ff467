import ArgumentParser
import Foundation
import Store
import TextImages
import Training

struct DatasetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets",
        abstract: "Check a dataset folder before a long run.",
        subcommands: [DatasetsCheck.self])
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
