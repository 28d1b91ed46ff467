import Foundation
import Testing
@testable import Engine

@Suite struct DecodingTests {
    /// p(labelling) for every labelling, by enumerating all K^T alignments (softmax per row).
    func labellingProbabilities(_ logits: [Float], T: Int, K: Int) -> [[Int]: Double] {
        let probs = (0..<T).map { t -> [Double] in
            let e = (0..<K).map { exp(Double(logits[t * K + $0])) }
            let s = e.reduce(0, +)
            return e.map { $0 / s }
        }
        var table: [[Int]: Double] = [:]
        var path = [Int](repeating: 0, count: T)
        for code in 0..<Int(pow(Double(K), Double(T))) {
            var c = code
            for t in 0..<T { path[t] = c % K; c /= K }
            table[collapseCTCPath(path), default: 0] += (0..<T).reduce(1.0) { $0 * probs[$1][path[$1]] }
        }
        return table
    }

    @Test func greedyMergesRepeatsDropsBlanksAndReportsConfidence() {
        // Best path 1 1 0 1 2 2 0 → labels [1, 1, 2] (the blank separates the two 1s).
        let K = 4
        let best = [1, 1, 0, 1, 2, 2, 0], top: [Float] = [0.6, 0.8, 0.5, 0.7, 0.4, 0.9, 0.55]
        var logits: [Float] = []
        for (c, p) in zip(best, top) {
            logits += (0..<K).map { $0 == c ? log(p) : log((1 - p) / Float(K - 1)) }
        }
        let d = ctcGreedyDecode(logits: logits, T: best.count, K: K, stride: K)
        #expect(d.labels == [1, 1, 2])
        let expected: [Float] = [0.8, 0.7, 0.9]  // each character's best step
        #expect(zip(d.characterProbabilities, expected).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(abs(d.confidence - 0.8 * 0.7 * 0.9) < 1e-6)
        #expect(abs(Double(d.logProbability) - top.reduce(0.0) { $0 + log(Double($1)) }) < 1e-5)
    }

    @Test func greedyReadsOneSampleOfATimeMajorBatch() {
        // Sample 1 of N = 2 wants class 2 at every step, over its input length of 3.
        let (T, N, K) = (4, 2, 3)
        var logits = [Float](repeating: 0, count: T * N * K)
        for t in 0..<T { logits[(t * N + 1) * K + 2] = 5; logits[(t * N) * K + (t % 2 == 0 ? 1 : 0)] = 5 }
        let all = ctcGreedyDecode(logits: logits, inputLengths: [4, 3], T: T, N: N, K: K)
        #expect(all.map(\.labels) == [[1, 1], [2]])
        let empty = ctcGreedyDecode(logits: logits, T: 0, K: K, stride: K)
        #expect(empty.labels.isEmpty && empty.confidence == 1)
    }

    @Test(arguments: [51, 52, 53, 54, 55])
    func wideBeamFindsTheMostProbableLabelling(seed: UInt64) {
        let (T, K) = (4, 3)
        var rng = SequenceRandom(seed: seed)
        let logits = rng.array(T * K, scale: 2)
        let table = labellingProbabilities(logits, T: T, K: K)
        let best = table.max { $0.value < $1.value }!
        // 31 labellings exist for T = 4, K = 3: a beam of 64 never drops one, so it is exact.
        let beams = ctcBeamSearch(logits: logits, T: T, K: K, stride: K, beamWidth: 64)
        #expect(beams[0].labels == best.key)
        #expect(abs(Double(beams[0].logProbability) - log(best.value)) < 1e-5)
        for b in beams { #expect(abs(Double(b.logProbability) - log(table[b.labels]!)) < 1e-5) }
        #expect(beams.count == table.count)
    }

    /// A narrow beam can drop the best labelling (seed 61, width 2, drops [1, 2, 1] at t = 2 —
    /// checked by hand), so only the wide beam is held to beat greedy; every beam's reported
    /// probability must stay a lower bound of the labelling's true probability.
    @Test(arguments: [61, 62, 63, 64, 65, 66])
    func beamProbabilitiesAreLowerBoundsAndTheWideBeamBeatsGreedy(seed: UInt64) {
        let (T, K) = (4, 3)
        var rng = SequenceRandom(seed: seed)
        let logits = rng.array(T * K, scale: 2)
        let table = labellingProbabilities(logits, T: T, K: K)
        let greedy = ctcGreedyDecode(logits: logits, T: T, K: K, stride: K)
        for width in [1, 2, 3, 64] {
            for beam in ctcBeamSearch(logits: logits, T: T, K: K, stride: K, beamWidth: width) {
                #expect(Double(beam.logProbability) <= log(table[beam.labels]!) + 1e-5, "width \(width)")
            }
        }
        let wide = ctcBeamSearch(logits: logits, T: T, K: K, stride: K, beamWidth: 64)[0]
        #expect(table[wide.labels]! >= table[greedy.labels]!)
        // With one candidate class per step the search still returns a valid labelling.
        let pruned = ctcBeamSearch(logits: logits, T: T, K: K, stride: K, beamWidth: 4, candidatesPerStep: 1)
        #expect(table[pruned[0].labels] != nil)
    }

    @Test func beamKeepsRepeatsApartOnlyThroughABlank() {
        // Steps: a, blank, a → "aa" is the clear winner; a, a, a → "a".
        let K = 2
        func rows(_ classes: [Int]) -> [Float] { classes.flatMap { c in (0..<K).map { $0 == c ? 4 : -4 } } }
        #expect(ctcBeamSearch(logits: rows([1, 0, 1]), T: 3, K: K, stride: K, beamWidth: 4)[0].labels == [1, 1])
        #expect(ctcBeamSearch(logits: rows([1, 1, 1]), T: 3, K: K, stride: K, beamWidth: 4)[0].labels == [1])
    }
}
