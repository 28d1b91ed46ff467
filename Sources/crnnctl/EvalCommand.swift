import ArgumentParser
import CommandLineSupport
import Engine
import Foundation
import Inference
import TextImages

/// `crnnctl eval`: line accuracy, character error rate and speed of a checkpoint.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score a checkpoint: line accuracy, character error rate, images/s.",
        discussion: """
            --synthetic N renders N fresh samples (indices 0..<N of stream --seed) with the checkpoint's \
            own charset, direction and image size: the same seed gives the same images and the same \
            numbers. --labels reads a folder with labels.tsv (relative/path<TAB>text per line); label \
            characters outside the checkpoint's charset are reported with their counts and stay in the \
            truth (the model cannot read them, so they count as errors).

            Line accuracy: fraction of lines read exactly. Character error rate: total edit distance \
            over total truth characters. Images/s counts recognition only (rendering and file \
            decoding excluded).

            \(ImageLimitOptions.discussion)

            Exit status:
              0   scored every line
              1   some labelled images could not be read (reported on stderr, left out of the scores)
              2   the checkpoint cannot be used (missing, corrupt, no charset)
              64  usage error

            Examples:
              crnnctl eval --checkpoint model.crnn --synthetic 1000 --seed 7 --errors 10
              crnnctl eval --checkpoint model.crnn --labels scans/labels.tsv --json
            """)

    @Option(help: "The checkpoint file (.crnn) to score.")
    var checkpoint: String?

    @Option(help: "A shipped model to score, by name (models/NAME.crnn).")
    var model: String?

    @Option(help: "Render this many synthetic samples to score on.")
    var synthetic: Int?

    @Option(help: "With --synthetic: the stream's seed (same seed, same samples).")
    var seed: UInt64 = 1

    @Option(help: "With --synthetic: augmentation preset (\(AugmentationPreset.allCases.map(\.rawValue).joined(separator: ", "))).")
    var preset: AugmentationPreset = .seed

    @Option(help: "With --synthetic: a folder of extra .ttf/.otf/.ttc fonts, added to the default faces.")
    var fontDir: String?

    @Option(help: "A labels file (relative/path<TAB>text[<TAB>font] per line, paths relative to its folder; any name: a subset of a set's lines scores that subset), or a folder holding labels.tsv.")
    var labels: String?

    @Option(help: "Print the K worst lines (truth, prediction, edit distance, image or sample index).")
    var errors = 0

    @Option(help: "Beam width: 1 is greedy decoding; more runs CTC prefix beam search.")
    var beam = 1

    @Option(help: "Threads for the model and for decoding image files.")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Images per forward pass.")
    var batch = 32

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "With --labels: remove spaces from truth and reading before comparing (for a charset without a space, e.g. ascii, on multi-word lines).")
    var ignoreSpaces = false

    @OptionGroup var imageLimits: ImageLimitOptions

    func validate() throws {
        if (checkpoint == nil) == (model == nil) { throw ValidationError("give either --checkpoint FILE or --model NAME") }
        switch (synthetic, labels) {
        case (nil, nil): throw ValidationError("give --synthetic N (with --seed S) or --labels DIR/labels.tsv")
        case (.some, .some): throw ValidationError("give either --synthetic or --labels, not both")
        case (.some(let count), nil):
            guard count >= 1 else { throw ValidationError("--synthetic must be at least 1") }
        case (nil, .some(let labels)):
            if fontDir != nil { throw ValidationError("--font-dir applies to --synthetic only") }
            guard FileManager.default.fileExists(atPath: Self.labelsFile(labels)) else {
                throw ValidationError("--labels \(Self.labelsFile(labels)): no such file")
            }
        }
        guard errors >= 0 else { throw ValidationError("--errors must be 0 or more") }
        guard beam >= 1 else { throw ValidationError("--beam must be at least 1 (1 = greedy)") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    }

    /// `labels` as a labels.tsv path: a folder means its labels.tsv.
    static func labelsFile(_ labels: String) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: labels, isDirectory: &isDirectory), isDirectory.boolValue {
            return (labels.hasSuffix("/") ? labels : labels + "/") + "labels.tsv"
        }
        return labels
    }

    func run() throws {
        OpenBLASTuning.reexecIfNeeded()
        try imageLimits.apply()
        let path = try model.map(shippedModelPath) ?? checkpoint ?? ""
        let (header, recognizer) = try loadRecognizer(path, threads: threads)
        var report = EvalReport(checkpoint: path, header: header, beam: beam, threads: threads)
        let evaluation: Evaluation
        if let synthetic {
            let fonts = try FontSet.load(fontDirectory: fontDir)
            let source = try recognizer.syntheticSource(fonts: fonts, preset: preset,
                                                        imageWidth: header.imageWidth, imageHeight: header.imageHeight)
            let undrawable = source.undrawableCharacters
            if !undrawable.isEmpty {
                printError("warning: \(undrawable.count) characters of the checkpoint's charset are drawn by no font and will not appear: \(undrawable.prefix(20).joined())")
            }
            report.data = "\(synthetic) synthetic samples, seed \(seed), preset \(preset.rawValue), \(header.imageWidth)x\(header.imageHeight)"
            evaluation = try recognizer.evaluate(synthetic: source, count: synthetic, seed: seed, beamWidth: beam, batchSize: batch)
        } else {
            let file = Self.labelsFile(labels!)
            let dataset = try LabelledDataset(labelsFile: file, charset: recognizer.charset)
            report.data = "\(dataset.count) labelled images from \(file)"
            let unknown = dataset.unknownCharacters.filter { !(ignoreSpaces && $0.key == " ") }
            if !unknown.isEmpty {
                report.unknownCharacters = Dictionary(uniqueKeysWithValues: unknown.map { (String($0.key), $0.value) })
                printError("warning: \(dataset.entriesWithUnknown) labels contain characters outside the checkpoint's charset: "
                           + "\(report.unknownList); the model cannot read them, so they count as errors")
            }
            evaluation = try recognizer.evaluate(labelled: dataset, beamWidth: beam, batchSize: batch, decodingThreads: threads,
                                                 ignoringSpaces: ignoreSpaces)
            if ignoreSpaces { report.data += ", spaces ignored" }
            for (_, message) in evaluation.unreadable { printError("error: \(message)") }
        }
        report.record(evaluation, worst: errors)
        print(json ? try encodeJSON(report) : report.text)
        if !evaluation.unreadable.isEmpty {
            printError("\(evaluation.unreadable.count) images could not be read and are left out of the scores")
            throw ExitCode(1)
        }
    }
}

/// What `eval` prints: as text for people, as JSON (`--json`) for scripts.
struct EvalReport: Encodable {
    struct Case: Encodable {
        var index: Int
        var path: String?
        var truth: String
        var prediction: String
        var confidence: Double
        var distance: Int
    }

    /// The scores of one font or length group.
    struct Group: Encodable {
        var lines: Int
        var lineAccuracy: Double
        var characterErrorRate: Double
        var oneMinusNED: Double

        init(_ score: RecognitionScore) {
            lines = score.lines; lineAccuracy = score.lineAccuracy
            characterErrorRate = score.characterErrorRate; oneMinusNED = score.oneMinusNED
        }

        enum CodingKeys: String, CodingKey {
            case lines, lineAccuracy = "line_accuracy", characterErrorRate = "character_error_rate"
            case oneMinusNED = "one_minus_ned"
        }
    }

    var checkpoint: String
    var model: String
    var data = ""
    var decoding: String
    var threads: Int
    var lines = 0
    var correctLines = 0
    var lineAccuracy = 0.0
    var truthCharacters = 0
    var characterErrors = 0
    var characterErrorRate = 0.0
    var oneMinusNED = 0.0
    var byFont: [String: Group]?
    var byLength: [String: Group]?
    var recognitionSeconds = 0.0
    var imagesPerSecond = 0.0
    var unknownCharacters: [String: Int]?
    var unreadable: [String]?
    var worst: [Case]?

    init(checkpoint: String, header: Checkpoint, beam: Int, threads: Int) {
        self.checkpoint = checkpoint
        model = "\(header.preset ?? "custom"), \(header.config.classes) classes, \(header.direction.rawValue), "
            + "\(header.imageWidth)x\(header.imageHeight), step \(header.step)"
        decoding = beam > 1 ? "beam \(beam)" : "greedy"
        self.threads = threads
    }

    mutating func record(_ evaluation: Evaluation, worst k: Int) {
        let score = evaluation.score
        lines = score.lines; correctLines = score.correctLines; lineAccuracy = score.lineAccuracy
        truthCharacters = score.truthCharacters; characterErrors = score.characterErrors
        characterErrorRate = score.characterErrorRate
        oneMinusNED = score.oneMinusNED
        if !evaluation.byFont.isEmpty { byFont = evaluation.byFont.mapValues(Group.init) }
        if evaluation.byLength.count > 1 { byLength = evaluation.byLength.mapValues(Group.init) }
        recognitionSeconds = evaluation.recognitionSeconds; imagesPerSecond = evaluation.imagesPerSecond
        if !evaluation.unreadable.isEmpty { unreadable = evaluation.unreadable.map(\.message) }
        if k > 0 {
            worst = evaluation.worst(k).map {
                Case(index: $0.index, path: $0.path, truth: $0.truth, prediction: $0.prediction,
                     confidence: Double($0.confidence), distance: $0.distance)
            }
        }
    }

    /// The characters outside the charset with their counts, most frequent first.
    var unknownList: String {
        let listed = (unknownCharacters ?? [:]).sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
        return listed.map { "'\($0.key)'×\($0.value)" }.joined(separator: " ")
    }

    var text: String {
        var out = """
            checkpoint       \(checkpoint) (\(model))
            data             \(data)
            line accuracy    \(String(format: "%.4f", lineAccuracy)) (\(correctLines) of \(lines) lines)
            character error  \(String(format: "%.4f", characterErrorRate)) (\(characterErrors) edits over \(truthCharacters) characters)
            1 - NED          \(String(format: "%.4f", oneMinusNED))
            throughput       \(String(format: "%.1f", imagesPerSecond)) images/s (\(decoding), \(threads) threads, \(String(format: "%.2f", recognitionSeconds)) s recognising)
            """
        if let byFont { out += Self.table("font", byFont, order: { $0 < $1 }) }
        if let byLength {
            // Buckets in numeric order ("6-10" before "11-15").
            out += Self.table("length", byLength, order: { (Int($0.prefix { $0 != "-" }) ?? 0) < (Int($1.prefix { $0 != "-" }) ?? 0) })
        }
        if unknownCharacters != nil { out += "\nnot in charset   " + unknownList }
        if let worst {
            out += worst.isEmpty ? "\nworst lines      none: every line was read exactly" : "\nworst \(worst.count) lines:"
            for c in worst {
                out += "\n  \(c.path ?? "sample \(c.index)")  distance \(c.distance), confidence \(String(format: "%.3f", c.confidence))"
                out += "\n    truth       \(c.truth.isEmpty ? "(empty)" : c.truth)"
                out += "\n    prediction  \(c.prediction.isEmpty ? "(empty)" : c.prediction)"
            }
        }
        return out
    }

    /// A breakdown as aligned text rows.
    static func table(_ title: String, _ groups: [String: Group], order: (String, String) -> Bool) -> String {
        let width = max(title.count, groups.keys.map(\.count).max() ?? 0)
        func pad(_ s: String) -> String { s + String(repeating: " ", count: width - s.count) }
        var out = "\nby \(title):\n  \(pad(title))  lines  line acc     CER  1-NED"
        for key in groups.keys.sorted(by: order) {
            let g = groups[key]!
            out += "\n  \(pad(key))  " + String(format: "%5d  %8.4f  %6.4f  %.4f", g.lines, g.lineAccuracy, g.characterErrorRate, g.oneMinusNED)
        }
        return out
    }

    enum CodingKeys: String, CodingKey {
        case checkpoint, model, data, decoding, threads, lines, worst, unreadable
        case oneMinusNED = "one_minus_ned", byFont = "by_font", byLength = "by_length"
        case correctLines = "correct_lines", lineAccuracy = "line_accuracy"
        case truthCharacters = "truth_characters", characterErrors = "character_errors"
        case characterErrorRate = "character_error_rate", recognitionSeconds = "recognition_seconds"
        case imagesPerSecond = "images_per_second", unknownCharacters = "unknown_characters"
    }
}
