import ArgumentParser
import CommandLineSupport
import Engine
import Foundation
import Inference
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
            Confidence: greedy decoding gives the product of the per-character probabilities, beam \
            search (--beam N > 1) the probability of the whole text.

            Files that cannot be read are reported on stderr, one line each, and the others are \
            still read.

            Exit status:
              0   every image was read
              1   some images could not be read (each reported on stderr)
              2   the checkpoint cannot be used (missing, corrupt, no charset)
              64  usage error

            Examples:
              crnnctl predict --checkpoint vertical.crnn scan-*.png photo.jpg
              crnnctl predict --checkpoint model.crnn --dir scans/ --json > readings.json
            """)

    @Option(help: "The checkpoint file (.crnn) to read with.")
    var checkpoint: String

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

    func validate() throws {
        if images.isEmpty && dir == nil { throw ValidationError("give image files or --dir DIR") }
        if !images.isEmpty && dir != nil { throw ValidationError("give either image files or --dir, not both") }
        if let dir {
            do { _ = try imageFiles(in: dir) } catch { throw ValidationError("--dir \(error)") }
        }
        guard beam >= 1 else { throw ValidationError("--beam must be at least 1 (1 = greedy)") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    }

    func run() throws {
        OpenBLASTuning.reexecIfNeeded()
        let (_, recognizer) = try loadRecognizer(checkpoint, threads: threads)
        let paths = try dir.map(imageFiles(in:)) ?? images
        var failures = 0
        var records: [PredictionRecord] = []
        try recognizer.readFiles(paths, beamWidth: beam, batchSize: batch, decodingThreads: threads) { results in
            for result in results {
                switch result.outcome {
                case .reading(let reading):
                    if json {
                        records.append(PredictionRecord(path: result.path, text: reading.text,
                                                        confidence: Double(reading.confidence)))
                    } else {
                        print("\(result.path)\t\(reading.text)\t\(String(format: "%.3f", reading.confidence))")
                    }
                case .failure(let message):
                    failures += 1
                    printError("error: \(message)")
                    if json { records.append(PredictionRecord(path: result.path, error: message)) }
                }
            }
            if !json { fflush(stdout) }
        }
        if json { print(try encodeJSON(records)) }
        if failures > 0 {
            printError("\(failures) of \(paths.count) images could not be read")
            throw ExitCode(1)
        }
    }
}

/// One entry of `predict --json`: a reading, or the error of a file that could not be read.
struct PredictionRecord: Encodable {
    var path: String
    var text: String? = nil
    var confidence: Double? = nil
    var error: String? = nil
}

/// A checkpoint made ready to read, or exit status 2 with the checkpoint's own error message
/// (it names the file and what is wrong with it).
func loadRecognizer(_ path: String, threads: Int) throws -> (Checkpoint, Recognizer) {
    let checkpoint: Checkpoint
    do {
        checkpoint = try Checkpoint.load(path: path)
    } catch {
        printError("error: \(error)")
        throw ExitCode(2)
    }
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
