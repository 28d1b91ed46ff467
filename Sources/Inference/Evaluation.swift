// Scoring a recogniser on a set of lines with known text: synthetic samples rendered with the
// checkpoint's own charset, direction and size, or a labelled folder. Only the recognition time
// is measured (rendering and file decoding are excluded), so images/s is the model's speed.
import Dispatch
import TextImages

/// One line of an evaluation: where it came from, its truth and what the model read.
public struct EvaluationCase: Sendable, Equatable {
    /// Position in the evaluated set (the synthetic sample index, or the labels.tsv entry number).
    public let index: Int
    /// The image file, or nil for a synthetic sample.
    public let path: String?
    public let truth: String
    public let prediction: String
    public let confidence: Float
    /// Edit distance between truth and prediction, in characters (Unicode scalars).
    public let distance: Int
}

/// The result of an evaluation run.
public struct Evaluation: Sendable {
    public private(set) var score = RecognitionScore()
    /// Scores per font (only lines whose source names one, e.g. labels.tsv's third column).
    public private(set) var byFont: [String: RecognitionScore] = [:]
    /// Scores per truth length, in buckets of `lengthBucket` characters ("1-5", "6-10", ...).
    public private(set) var byLength: [String: RecognitionScore] = [:]
    /// Every line read wrong (distance > 0), in set order.
    public private(set) var mistakes: [EvaluationCase] = []
    /// Files that could not be decoded, with the message naming the file and why; left out of the score.
    public internal(set) var unreadable: [(path: String, message: String)] = []
    /// Wall time spent in the recogniser (forward passes and decoding) only.
    public internal(set) var recognitionSeconds: Double = 0

    /// Compare with every space (U+0020) removed from truth and reading: for models whose
    /// charset has no space (the `ascii` preset) scored on multi-word lines.
    public var ignoresSpaces = false

    public init(ignoresSpaces: Bool = false) { self.ignoresSpaces = ignoresSpaces }

    /// Lines scored per second of recognition time.
    public var imagesPerSecond: Double { recognitionSeconds > 0 ? Double(score.lines) / recognitionSeconds : 0 }

    /// Truth lengths are grouped by this many characters in `byLength`.
    public static let lengthBucket = 5

    /// The `byLength` key of a truth of `length` characters.
    public static func lengthKey(_ length: Int) -> String {
        guard length > 0 else { return "0" }
        let low = (length - 1) / lengthBucket * lengthBucket + 1
        return "\(low)-\(low + lengthBucket - 1)"
    }

    /// Scores one line. Truth and prediction compare scalar by scalar (a charset entry is one scalar).
    public mutating func add(index: Int, path: String?, truth: String, reading: Recognizer.Reading, font: String? = nil) {
        let space: Unicode.Scalar = " "
        let truthScalars = Array(truth.unicodeScalars).filter { !ignoresSpaces || $0 != space }
        let readingScalars = Array(reading.text.unicodeScalars).filter { !ignoresSpaces || $0 != space }
        let distance = score.add(truth: truthScalars, reading: readingScalars)
        byLength[Self.lengthKey(truthScalars.count), default: RecognitionScore()].add(truth: truthScalars, reading: readingScalars)
        if let font { byFont[font, default: RecognitionScore()].add(truth: truthScalars, reading: readingScalars) }
        if distance > 0 {
            mistakes.append(EvaluationCase(index: index, path: path, truth: truth, prediction: reading.text,
                                           confidence: reading.confidence, distance: distance))
        }
    }

    /// The `k` worst lines: largest edit distance first, then least confident, then set order.
    public func worst(_ k: Int) -> [EvaluationCase] {
        Array(mistakes.sorted { a, b in
            if a.distance != b.distance { return a.distance > b.distance }
            if a.confidence != b.confidence { return a.confidence < b.confidence }
            return a.index < b.index
        }.prefix(max(0, k)))
    }
}

extension Recognizer {
    /// Renders samples `0..<count` of stream `seed` with `source` and scores the readings.
    /// The source should render at the checkpoint's own size (see `syntheticSource`).
    public func evaluate(synthetic source: SyntheticSource, count: Int, seed: UInt64,
                         beamWidth: Int = 0, batchSize: Int = 32) throws -> Evaluation {
        var evaluation = Evaluation()
        let chunk = max(1, batchSize)
        for start in stride(from: 0, to: count, by: chunk) {
            let indices = start..<min(start + chunk, count)
            let samples = indices.map { source.renderImage(index: UInt64($0), seed: seed) }
            let readings = try timed(&evaluation) { try read(samples.map(\.image), beamWidth: beamWidth, batchSize: batchSize) }
            for (k, index) in indices.enumerated() {
                evaluation.add(index: index, path: nil, truth: charset.decode(samples[k].label), reading: readings[k])
            }
        }
        return evaluation
    }

    /// Reads every image of `dataset` and scores it against its full label text: characters
    /// outside the charset stay in the truth (the model cannot read them, and the score says so).
    /// Files that cannot be decoded are listed in `unreadable` and left out of the score.
    public func evaluate(labelled dataset: LabelledDataset, beamWidth: Int = 0, batchSize: Int = 32,
                         decodingThreads: Int = 1, ignoringSpaces: Bool = false) throws -> Evaluation {
        var evaluation = Evaluation(ignoresSpaces: ignoringSpaces)
        var position = 0
        let seconds = try readFiles(dataset.entries.map(\.path), beamWidth: beamWidth, batchSize: batchSize,
                                    decodingThreads: decodingThreads) { results in
            for result in results {
                let entry = dataset.entries[position]
                switch result.outcome {
                case .reading(let reading):
                    evaluation.add(index: position, path: entry.path, truth: entry.text, reading: reading, font: entry.font)
                case .failure(let message): evaluation.unreadable.append((entry.path, message))
                }
                position += 1
            }
        }
        evaluation.recognitionSeconds = seconds
        return evaluation
    }

    /// A synthetic source that renders what this recogniser was trained on: its charset,
    /// direction and image size.
    /// - Throws: `SyntheticSourceError` when the fonts draw none of the charset or the size is unusable.
    public func syntheticSource(fonts: FontSet, preset: AugmentationPreset, imageWidth: Int,
                                imageHeight: Int) throws -> SyntheticSource {
        let direction: TextImages.TextDirection = self.direction == .vertical ? .vertical : .horizontal
        return try SyntheticSource(charset: charset, fonts: fonts, preset: preset, direction: direction,
                                   width: imageWidth, height: imageHeight)
    }
}

/// Runs `body`, adding its wall time to `evaluation.recognitionSeconds`.
func timed<T>(_ evaluation: inout Evaluation, _ body: () throws -> T) rethrows -> T {
    let started = DispatchTime.now().uptimeNanoseconds
    defer { evaluation.recognitionSeconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
    return try body()
}
