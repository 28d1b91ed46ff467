// The held-out set a run is judged on: rendered once from the validation seed (never a training
// shard's seed), or a dataset run's held-out lines (`DatasetSplit`); evaluated in eval mode on a
// snapshot of the parameters.
//
// Shapes: images [S, H, W] in [-1, 1]; logits per batch [T, n, K].
import Engine
import Foundation
import Inference
import TextImages
import Training

/// What one evaluation measured.
public struct ValidationResult: Sendable, Equatable {
    public var loss: Double
    public var lineAccuracy: Double
    public var characterErrorRate: Double
    public var samples: Int
    /// Lines whose greedy reading is empty.
    public var blankReadings: Int = 0
}

final class ValidationSet {
    let images: [Float]
    let labels: [[Int32]]
    let perImage: Int
    let batch = 64

    /// Renders `validation.size` samples from the validation seed (synthetic runs).
    convenience init(recipe: RunRecipe, source: SyntheticSource) {
        let count = max(1, recipe.config.validation.size)
        let perImage = recipe.floatsPerImage
        var images = [Float](repeating: 0, count: count * perImage)
        var labels: [[Int32]] = []
        images.withUnsafeMutableBufferPointer { out in
            for start in stride(from: 0, to: count, by: 256) {
                let end = min(count, start + 256)
                labels += source.renderBatch(seed: UInt64(bitPattern: recipe.config.validation.seed),
                                             indices: UInt64(start)..<UInt64(end),
                                             into: out.baseAddress! + start * perImage)
            }
        }
        self.init(images: images, labels: labels, perImage: perImage)
    }

    /// The held-out lines of a dataset run (never part of a training shard); skipped lines
    /// (unknown characters, undecodable images) are left out and returned for the log.
    /// - Throws: `DatasetAccessError` when the folder is unreadable here or nothing is usable.
    convenience init(recipe: RunRecipe, dataset: DatasetSamples) throws {
        let loaded = try dataset.loadValidation(run: recipe.run)
        self.init(images: loaded.images, labels: loaded.labels.map { $0.map(Int32.init) }, perImage: recipe.floatsPerImage)
        skipped = loaded.skipped
    }

    init(images: [Float], labels: [[Int32]], perImage: Int) {
        self.images = images
        self.labels = labels
        self.perImage = perImage
    }

    /// Held-out lines left out of a dataset run's validation set.
    private(set) var skipped: [SkippedLine] = []

    var count: Int { labels.count }

    /// Evaluates `model` (eval mode: running statistics, nothing updated).
    func evaluate(_ model: CRNNModel) throws -> ValidationResult {
        var score = RecognitionScore()
        var lossSum = 0.0
        var blank = 0
        for start in stride(from: 0, to: count, by: batch) {
            let n = min(batch, count - start)
            let slice = Array(images[(start * perImage)..<((start + n) * perImage)])
            let logits = try model.logits(images: slice, batch: n)
            lossSum += try batchLoss(logits, labels: Array(labels[start..<(start + n)])) * Double(n)
            logits.values.withUnsafeBufferPointer { values in
                for i in 0..<n {
                    let decoded = ctcGreedyDecode(logits: values.baseAddress! + i * logits.K, T: logits.T,
                                                  K: logits.K, stride: logits.N * logits.K)
                    score.add(truth: labels[start + i].map(Int.init), reading: decoded.labels)
                    if decoded.labels.isEmpty { blank += 1 }
                }
            }
        }
        return ValidationResult(loss: lossSum / Double(count), lineAccuracy: score.lineAccuracy,
                                characterErrorRate: score.characterErrorRate, samples: count, blankReadings: blank)
    }

    /// Mean CTC loss of one batch (∞ alignments count as 0, like training).
    private func batchLoss(_ logits: Logits, labels: [[Int32]]) throws -> Double {
        let flat = labels.flatMap { $0 }
        let lengths = labels.map { Int32($0.count) }
        let inputs = [Int32](repeating: Int32(logits.T), count: labels.count)
        var losses = [Float](repeating: 0, count: labels.count)
        let workspace = CTCWorkspace(maxT: logits.T, maxTargetLength: max(1, lengths.max().map(Int.init) ?? 1))
        let loss = try logits.values.withUnsafeBufferPointer { values in
            try ctcLoss(dlogits: nil, losses: &losses, logits: values.baseAddress!, targets: flat.isEmpty ? [0] : flat,
                        targetLengths: lengths, inputLengths: inputs, T: logits.T, N: labels.count,
                        K: logits.K, reduction: .mean, zeroInfinity: true, workspace: workspace)
        }
        return Double(loss)
    }
}
