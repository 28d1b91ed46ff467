// End-to-end: the tiny preset must learn to read synthetic "text" within a few seconds.
//
// Each class 1…4 is a fixed random 16×8 pattern of ±1 blocks; an image is a −1 background
// with its label's glyphs drawn left to right (random gaps), so reading it needs the CNN to
// recognise shapes and the recurrent head plus CTC to order and separate them.
import Testing
@testable import Engine

@Suite struct LearningTests {
    static let classes = 5, width = 64, glyphWidth = 8, glyphHeight = 16

    /// The fixed glyphs: [class][row][column] in {−1, 1}, built from 4×2-pixel blocks.
    static let glyphs: [[Float]] = {
        var rng = SplitMix64(seed: 77)
        return (0..<classes).map { _ in
            let blocks = (0..<8).map { _ in rng.next() % 2 == 0 ? Float(-1) : 1 }
            return (0..<(glyphHeight * glyphWidth)).map { i in
                blocks[(i / glyphWidth) / 4 * 2 + (i % glyphWidth) / 4]
            }
        }
    }()

    /// `count` images [count, 32, width] and their labels (2…4 symbols each).
    static func dataset(count: Int, seed: UInt64) -> (images: [Float], labels: [[Int]]) {
        var rng = SplitMix64(seed: seed)
        var images = [Float](repeating: -1, count: count * 32 * width)
        var labels: [[Int]] = []
        for s in 0..<count {
            let length = 2 + Int(rng.next() % 3)
            let label = (0..<length).map { _ in 1 + Int(rng.next() % UInt64(classes - 1)) }
            var x = Int(rng.next() % 4)
            for c in label {
                for r in 0..<glyphHeight { for q in 0..<glyphWidth {
                    images[s * 32 * width + (8 + r) * width + x + q] = glyphs[c][r * glyphWidth + q]
                }}
                x += glyphWidth + 4 + Int(rng.next() % 4)
            }
            labels.append(label)
        }
        return (images, labels)
    }

    /// Greedy CTC decoding: best class per step, repeats merged, blanks dropped.
    static func greedy(_ logits: Logits, sample n: Int) -> [Int] {
        var out: [Int] = [], previous = 0
        for t in 0..<logits.T {
            let row = logits.values[((t * logits.N + n) * logits.K)...].prefix(logits.K)
            let best = row.indices.max { row[$0] < row[$1] }! - row.startIndex
            if best != 0 && best != previous { out.append(best) }
            previous = best
        }
        return out
    }

    static func accuracy(_ model: CRNNModel, _ data: (images: [Float], labels: [[Int]])) throws -> Double {
        let logits = try model.logits(images: data.images, batch: data.labels.count)
        let right = data.labels.indices.filter { greedy(logits, sample: $0) == data.labels[$0] }.count
        return Double(right) / Double(data.labels.count)
    }

    @Test func tinyPresetLearnsSyntheticSequences() throws {
        let model = CRNNModel(config: ModelPreset.tiny.config(classes: Self.classes), seed: 11)
        let optimizer = Adam(layout: model.parameters.layout)
        let batch = 16, train = Self.dataset(count: 64, seed: 1)
        let before = try Self.accuracy(model, train)
        var losses: [Float] = []
        for step in 0..<120 {
            let first = (step * batch) % 64
            let images = Array(train.images[(first * 32 * Self.width)..<((first + batch) * 32 * Self.width)])
            losses.append(try model.trainStep(images: images, targets: Array(train.labels[first..<(first + batch)])))
            optimizer.step(parameters: model.parameters, gradients: model.gradients, learningRate: 4e-3)
        }
        let start = losses.prefix(4).reduce(0, +) / 4, end = losses.suffix(4).reduce(0, +) / 4
        #expect(end < 0.2 * start, "loss \(start) → \(end)")
        let after = try Self.accuracy(model, train)
        let held = try Self.accuracy(model, Self.dataset(count: 32, seed: 2))
        #expect(before < 0.2)
        #expect(after >= 0.8, "train accuracy \(before) → \(after)")
        #expect(held >= 0.6, "held-out accuracy \(held)")
        print("learning: loss \(start) → \(end), accuracy \(before) → \(after), held-out \(held)")
    }
}
