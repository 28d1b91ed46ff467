// Reading text lines with a trained model: fit each image to the model's input, batch images of
// equal input length, run the eval-mode forward, decode with CTC (greedy or beam search).
import Engine
import Foundation
import TextImages

/// A checkpoint made ready to read images: its model, its own alphabet and its direction.
public final class Recognizer {
    /// One image's reading.
    public struct Reading: Sendable, Equatable {
        public let text: String
        public let classes: [Int]
        /// Greedy: product of the per-character probabilities; beam: p(text).
        public let confidence: Float
    }

    public let model: CRNNModel
    public let charset: Charset
    public let direction: Engine.TextDirection
    /// The size the model was trained at: images shorter than this along the sequence axis are
    /// padded to it, longer ones keep their own (rounded) length.
    public let trainedLength: Int
    /// Longest sequence-axis length accepted; longer lines are squeezed to it.
    public let maximumLength: Int

    /// - Throws: `CharsetError` when the checkpoint's charset is malformed.
    public init(checkpoint: Checkpoint, threads: Int = 1, maximumLength: Int = 4096) throws {
        model = CRNNModel(config: checkpoint.config, direction: checkpoint.direction, threads: threads)
        model.parameters.load(checkpoint.parameters)
        model.buffers.load(checkpoint.buffers)
        model.parametersFrozen = true
        charset = try Charset(name: "checkpoint", characters: checkpoint.charset)
        direction = checkpoint.direction
        let trained = checkpoint.direction == .horizontal ? checkpoint.imageWidth : checkpoint.imageHeight
        trainedLength = max(16, roundUpToMultipleOf4(trained))
        self.maximumLength = max(trainedLength, roundUpToMultipleOf4(maximumLength))
    }

    /// The model input for `image`: scaled to 32 px across the line, padded (by repeating the
    /// edge) to at least the trained length and to a multiple of 4 along it.
    public func fit(_ image: GreyImage) -> GreyImage {
        let vertical = direction == .vertical
        let scaled = vertical
            ? image.resized(toWidth: 32, maxHeight: maximumLength)
            : image.resized(toHeight: 32, maxWidth: maximumLength)
        let along = max(trainedLength, roundUpToMultipleOf4(vertical ? scaled.height : scaled.width))
        return vertical ? scaled.padded(width: 32, height: along) : scaled.padded(width: along, height: 32)
    }

    /// Reads every image; output order follows input order.
    /// - Parameters:
    ///   - beamWidth: 0 or 1 for greedy decoding, more for prefix beam search.
    ///   - batchSize: images per forward pass.
    public func read(_ images: [GreyImage], beamWidth: Int = 0, batchSize: Int = 32) throws -> [Reading] {
        let fitted = images.map(fit)
        var readings = [Reading?](repeating: nil, count: images.count)
        // Images of one input length share a forward pass.
        let groups = Dictionary(grouping: fitted.indices) { fitted[$0].pixels.count }
        for (_, members) in groups.sorted(by: { $0.key < $1.key }) {
            for start in stride(from: 0, to: members.count, by: max(1, batchSize)) {
                let batch = Array(members[start..<min(start + max(1, batchSize), members.count)])
                var input: [Float] = []
                input.reserveCapacity(batch.count * fitted[batch[0]].pixels.count)
                for index in batch { input += fitted[index].normalized() }
                let logits = try model.logits(images: input, batch: batch.count)
                for (n, index) in batch.enumerated() {
                    readings[index] = decode(logits, sample: n, beamWidth: beamWidth)
                }
            }
        }
        return readings.map { $0! }
    }

    /// Reads images that are already model-sized floats in [-1, 1] (synthetic validation sets).
    public func read(normalizedBatch input: [Float], count: Int, beamWidth: Int = 0) throws -> [Reading] {
        let logits = try model.logits(images: input, batch: count)
        return (0..<count).map { decode(logits, sample: $0, beamWidth: beamWidth) }
    }

    /// Classes a beam may grow by at each step when the alphabet is large: trying all 30,657 classes
    /// of a full charset at every step costs seconds per line, while the classes outside a step's
    /// most probable few almost never survive into the best prefixes.
    static func beamCandidates(classes: Int, beamWidth: Int) -> Int? {
        classes > 256 ? max(32, 4 * beamWidth) : nil
    }

    private func decode(_ logits: Logits, sample n: Int, beamWidth: Int) -> Reading {
        logits.values.withUnsafeBufferPointer { values in
            let start = values.baseAddress! + n * logits.K
            let decoding = beamWidth > 1
                ? ctcBeamSearch(logits: start, T: logits.T, K: logits.K, stride: logits.N * logits.K,
                                beamWidth: beamWidth,
                                candidatesPerStep: Self.beamCandidates(classes: logits.K, beamWidth: beamWidth))[0]
                : ctcGreedyDecode(logits: start, T: logits.T, K: logits.K, stride: logits.N * logits.K)
            // Reading nothing is a claim too: its confidence is the probability of the all-blank
            // best path, not the empty product 1.
            let confidence = decoding.labels.isEmpty ? Float(exp(Double(decoding.logProbability))) : decoding.confidence
            return Reading(text: charset.decode(decoding.labels), classes: decoding.labels, confidence: confidence)
        }
    }
}

func roundUpToMultipleOf4(_ value: Int) -> Int { (max(value, 1) + 3) / 4 * 4 }
