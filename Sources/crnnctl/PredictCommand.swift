import ArgumentParser
import CommandLineSupport
import Engine
import Foundation
import Inference
import ModelExchange
import TextImages

/// `crnnctl predict`: reads the text of image files with a checkpoint.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Read the text of PNG or JPEG images with a trained checkpoint.",
        discussion: """
            Prints one line per image: path<TAB>text<TAB>confidence (3 decimals), in the order given \
            (--dir: sorted by name). With --json, one JSON array of {"path","text","confidence"} or \
            {"path","error"} objects. Any size, aspect ratio, grey or colour: images are scaled to 32 px \
            across the line and padded; the reading direction comes from the checkpoint. \
            Give a horizontal and a vertical model (--model twice, or --checkpoint twice) and each \
            image is read by the one its shape suggests (--direction auto: taller than wide means \
            vertical), so a folder of mixed lines needs one command. \
            Confidence: greedy decoding gives the product of the per-character probabilities, beam \
            search (--beam N > 1) the probability of the whole text.

            Files that cannot be read are reported on stderr, one line each, and the others are \
            still read.

            Paths are printed so that each reading stays on one line of three fields: in a path, a \
            tab, newline, carriage return and backslash are written \\t, \\n, \\r and \\\\, other \
            control characters and bytes that are not UTF-8 as \\xHH (in --json, such bytes become \
            U+FFFD). File names need not be UTF-8.

            \(ImageLimitOptions.discussion)

            Exit status:
              0   every image was read
              1   some images could not be read (each reported on stderr)
              2   the checkpoint cannot be used (missing, corrupt, no charset)
              64  usage error

            Examples:
              crnnctl predict --checkpoint vertical.crnn scan-*.png photo.jpg
              crnnctl predict --checkpoint model.crnn --dir scans/ --json > readings.json
              crnnctl predict --model gb2312-horizontal --model gb2312-vertical --dir mixed/
            """)

    @Option(help: "A checkpoint file (.crnn) to read with (repeatable: one per direction).")
    var checkpoint: [String] = []

    @Option(help: "A shipped model by name (models/NAME.crnn; repeatable: one per direction).")
    var model: [String] = []

    @Option(help: "auto: each image goes to the model of its shape's direction; horizontal or vertical: that model reads every image.")
    var direction: DirectionChoice = .auto

    @Argument(help: "Image files (PNG or JPEG).")
    var images: [String] = []

    @Option(help: "Read every *.png, *.jpg, *.jpeg file of this folder (not recursive), sorted by name.")
    var dir: String?

    @Option(help: "Beam width: 1 is greedy decoding; more runs CTC prefix beam search.")
    var beam = 1

    @Flag(help: "Print one JSON array instead of tab-separated lines.")
    var json = false

    @Option(help: "Threads for the model and for decoding image files.")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Images per forward pass.")
    var batch = 32

    @Option(help: ArgumentHelp("Also write each image's model input and logits as NumPy files into this folder (N.input.npy, N.logits.npy, index.tsv: N, path, text), for tools/onnx-check.", valueName: "dir"))
    var dump: String?

    @OptionGroup var imageLimits: ImageLimitOptions

    func validate() throws {
        if checkpoint.isEmpty && model.isEmpty { throw ValidationError("give --checkpoint FILE or --model NAME") }
        if checkpoint.count + model.count > 2 { throw ValidationError("give at most two models: one horizontal and one vertical") }
        if images.isEmpty && dir == nil { throw ValidationError("give image files or --dir DIR") }
        if !images.isEmpty && dir != nil { throw ValidationError("give either image files or --dir, not both") }
        if let dir {
            do { _ = try imageFiles(in: rawDirectory(dir)) } catch { throw ValidationError("--dir \(error)") }
        }
        guard beam >= 1 else { throw ValidationError("--beam must be at least 1 (1 = greedy)") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    }

    func run() throws {
        OpenBLASTuning.reexecIfNeeded()
        try imageLimits.apply()
        let readers = try loadRecognizers(checkpoints: checkpoint, models: model, direction: direction, threads: threads)
        let paths = try dir.map { try imageFiles(in: rawDirectory($0)) } ?? RawArguments.recover(images).map(RawPath.init(bytes:))
        var failures = 0
        var records: [PredictionRecord] = []
        var traces = dump.map { TraceDump(folder: $0) }
        try traces?.prepare()
        try Recognizer.readFiles(paths, with: readers.recognizers, choose: readers.choose,
                                 beamWidth: beam, batchSize: batch, decodingThreads: threads) { results in
            for result in results {
                switch result.outcome {
                case .reading(let reading):
                    try traces?.add(result.file, text: reading.text, readers: readers)
                    if json {
                        records.append(PredictionRecord(path: result.path, text: reading.text,
                                                        confidence: Double(reading.confidence)))
                    } else {
                        print("\(result.file.escaped)\t\(reading.text)\t\(String(format: "%.3f", reading.confidence))")
                    }
                case .failure(let message):
                    failures += 1
                    printError("error: \(message)")
                    if json { records.append(PredictionRecord(path: result.path, error: message)) }
                }
            }
            if !json { fflush(stdout) }
        }
        try traces?.finish()
        if json { print(try encodeJSON(records)) }
        if failures > 0 {
            printError("\(failures) of \(paths.count) images could not be read")
            throw ExitCode(1)
        }
    }
}

/// `predict --dump`: every read image's input and logits as .npy files and an index.
struct TraceDump {
    let folder: String
    private var index = "n\tpath\ttext\n"
    private var count = 0

    init(folder: String) { self.folder = folder }

    func prepare() throws {
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw ValidationError("--dump \(folder): \(error.localizedDescription)")
        }
    }

    /// Decodes `file` again and runs it alone through the model `predict` chose for it: a second
    /// decode and a batch-1 forward per image, so that the dumped input and logits belong together
    /// (a batch's GEMMs may round differently) and predict need not keep every fitted image.
    mutating func add(_ file: RawPath, text: String, readers: RecognizerSet) throws {
        let image = try ImageFile.read(file)
        let trace = try readers.recognizers[readers.choose(image)].trace(image)
        let stem = String(format: "%04d", count)
        try NumpyArray.write(trace.input, shape: trace.inputShape, to: "\(folder)/\(stem).input.npy")
        try NumpyArray.write(trace.logits, shape: trace.logitsShape, to: "\(folder)/\(stem).logits.npy")
        index += "\(stem)\t\(file.escaped)\t\(text)\n"
        count += 1
    }

    func finish() throws {
        try index.write(toFile: "\(folder)/index.tsv", atomically: true, encoding: .utf8)
    }
}

/// `--dir` as given on the command line, byte for byte.
private func rawDirectory(_ dir: String) -> RawPath {
    RawPath(bytes: RawArguments.recover([dir])[0])
}

/// `--direction`: which model reads an image when a horizontal and a vertical one are given.
enum DirectionChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, horizontal, vertical
}

/// The recognisers of `--checkpoint`/`--model` and the rule that picks one per image.
struct RecognizerSet {
    let recognizers: [Recognizer]
    let choose: @Sendable (GreyImage) -> Int
}

/// Loads every `--checkpoint` and `--model` (at most one per direction) and builds the rule of
/// `--direction`; exit status 2 when one cannot be used or the directions do not fit.
func loadRecognizers(checkpoints: [String], models: [String], direction: DirectionChoice, threads: Int) throws -> RecognizerSet {
    let paths = try checkpoints + models.map(shippedModelPath)
    let loaded = try paths.map { try loadRecognizer($0, threads: threads).1 }
    if loaded.count == 2 && loaded[0].direction == loaded[1].direction {
        printError("error: both models read \(loaded[0].direction.rawValue) text; give one horizontal and one vertical")
        throw ExitCode(2)
    }
    switch direction {
    case .auto:
        guard loaded.count == 2 else { return RecognizerSet(recognizers: loaded, choose: { _ in 0 }) }
        let vertical = loaded.firstIndex { $0.direction == .vertical }!
        return RecognizerSet(recognizers: loaded, choose: { Recognizer.likelyDirection(of: $0) == .vertical ? vertical : 1 - vertical })
    case .horizontal, .vertical:
        guard let chosen = loaded.first(where: { $0.direction.rawValue == direction.rawValue }) else {
            printError("error: --direction \(direction.rawValue): no \(direction.rawValue) model given")
            throw ExitCode(2)
        }
        return RecognizerSet(recognizers: [chosen], choose: { _ in 0 })
    }
}

/// One entry of `predict --json`: a reading, or the error of a file that could not be read.
struct PredictionRecord: Encodable {
    var path: String
    var text: String? = nil
    var confidence: Double? = nil
    var error: String? = nil
}

/// The file of the shipped model `name` (`--model`), or exit status 2 with the models there are.
func shippedModelPath(_ name: String) throws -> String {
    do { return try ShippedModels.path(of: name) } catch {
        printError("error: \(error)")
        throw ExitCode(2)
    }
}

/// The checkpoint at `path`, or exit status 2 with its own error message (it names the file and
/// what is wrong with it).
func loadCheckpoint(_ path: String) throws -> Checkpoint {
    do { return try Checkpoint.load(path: path) } catch {
        printError("error: \(error)")
        throw ExitCode(2)
    }
}

/// A checkpoint made ready to read, or exit status 2 with the checkpoint's own error message
/// (it names the file and what is wrong with it).
func loadRecognizer(_ path: String, threads: Int) throws -> (Checkpoint, Recognizer) {
    let checkpoint = try loadCheckpoint(path)
    guard !checkpoint.charset.isEmpty else {
        printError("error: \(path): the checkpoint has no charset, so its classes cannot be turned into text")
        throw ExitCode(2)
    }
    do {
        return (checkpoint, try Recognizer(checkpoint: checkpoint, threads: threads))
    } catch {
        printError("error: \(path): the checkpoint's charset is malformed: \(error)")
        throw ExitCode(2)
    }
}

/// Pretty, key-sorted JSON without escaped slashes (paths stay readable).
func encodeJSON<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
