// Turning per-step class scores into label sequences: greedy (best path) and prefix beam search.
//
// Shapes:
//   T time steps, K classes (blank = 0), N batch
//   logits: T rows of K scores, row t at `logits + t·stride` (stride = N·K to read sample n of a
//   time-major [T×N×K] batch starting at `logits + n·K`; stride = K for a single sample).
// Scores may be raw logits or log-probabilities: each row is log-softmax-normalised here, which
// leaves log-probabilities unchanged.
//
// Decoding runs once per image at prediction time, so it favours plain Swift collections over
// preallocated scratch; only the per-row softmax uses the vectorised kernels of CTC.swift.
import Foundation

/// A decoded label sequence.
public struct CTCDecoding: Equatable, Sendable {
    /// Class ids (1..<K), repeats merged and blanks dropped.
    public var labels: [Int]
    /// Greedy: per emitted label, the highest softmax probability over the run of steps that
    /// produced it. Beam search: empty (a prefix has no single path to read them from).
    public var characterProbabilities: [Float]
    /// Greedy: the product of `characterProbabilities`, i.e. the chance that every emitted
    /// character is right if the steps were independent (1 for an empty result, since nothing
    /// was emitted). Beam search: exp(logProbability).
    public var confidence: Float
    /// Greedy: log of the best path's probability (Σ_t log max_k p_t(k), blanks included).
    /// Beam search: log p(labels), summed over every alignment the beam kept (exact when the beam
    /// is wide enough never to drop an alignment of the result).
    public var logProbability: Float
}

/// Greedy (best-path) decoding: argmax per step, merge repeats, drop blanks.
public func ctcGreedyDecode(logits: UnsafePointer<Float>, T: Int, K: Int, stride: Int) -> CTCDecoding {
    var labels: [Int] = [], probabilities: [Float] = []
    var logPath: Double = 0
    var previous = 0
    for t in 0..<T {
        let row = logits + t * stride
        let m = rowMaximum(row, K)
        var best = 0
        while row[best] != m && best < K - 1 { best += 1 }
        // p(best) = exp(m − m) / Σ exp(row − m)
        let sum = exponentiate(into: nil, row, minus: m, K)
        let p = Float(1 / sum)
        logPath -= log(sum)
        if best != 0 && best == previous {
            probabilities[probabilities.count - 1] = max(probabilities[probabilities.count - 1], p)
        } else if best != 0 {
            labels.append(best)
            probabilities.append(p)
        }
        previous = best
    }
    return CTCDecoding(labels: labels, characterProbabilities: probabilities,
                       confidence: probabilities.reduce(1, *), logProbability: Float(logPath))
}

/// Greedy decoding of every sample of a time-major batch [T×N×K], each over its input length.
public func ctcGreedyDecode(
    logits: UnsafePointer<Float>, inputLengths: [Int], T: Int, N: Int, K: Int
) -> [CTCDecoding] {
    (0..<N).map { n in
        ctcGreedyDecode(logits: logits + n * K, T: max(0, min(inputLengths[n], T)), K: K, stride: N * K)
    }
}

/// Prefix beam search: the `beamWidth` most probable label sequences, best first.
///
/// Each prefix carries two log-probabilities: of its alignments ending in a blank (pb) and
/// ending in its last label (pnb). Appending label c to a prefix ending in c needs a blank in
/// between (only pb extends it), while staying on c without a blank keeps the prefix (pnb).
///
/// A beam wide enough to keep every prefix is exact (it finds the most probable labelling); a
/// narrow one can drop it, and then may even return a labelling less probable than greedy's.
///
/// - Parameters:
///   - beamWidth: prefixes kept after each step (≥ 1).
///   - candidatesPerStep: if set, only that many most probable non-blank classes of each
///     step extend prefixes: cheap for 30,657 classes, at the price of exactness. nil: all.
public func ctcBeamSearch(
    logits: UnsafePointer<Float>, T: Int, K: Int, stride: Int,
    beamWidth: Int, candidatesPerStep: Int? = nil
) -> [CTCDecoding] {
    precondition(beamWidth >= 1, "ctcBeamSearch: beamWidth must be at least 1")
    var beams: [[Int]: PrefixScore] = [[]: PrefixScore(blank: 0)]
    var lp = [Double](repeating: 0, count: K)
    var candidates = Array(1..<max(K, 1))

    for t in 0..<T {
        let row = logits + t * stride
        let m = rowMaximum(row, K)
        let lse = Double(m) + log(exponentiate(into: nil, row, minus: m, K))
        for k in 0..<K { lp[k] = Double(row[k]) - lse }
        if let c = candidatesPerStep, c < K - 1 {
            candidates = Array((1..<K).sorted { lp[$0] > lp[$1] }.prefix(max(c, 0)))
        }
        var next: [[Int]: PrefixScore] = [:]
        for (prefix, score) in beams {
            let total = score.total
            var same = next[prefix] ?? PrefixScore()
            same.blank = logAddExp(same.blank, total + lp[0])
            if let last = prefix.last { same.label = logAddExp(same.label, score.label + lp[last]) }
            next[prefix] = same
            for c in candidates {
                // A repeat needs a blank first: impossible (−∞) until the prefix has one.
                let from = c == prefix.last ? score.blank : total
                if from == -.infinity { continue }
                let extended = prefix + [c]
                var grown = next[extended] ?? PrefixScore()
                grown.label = logAddExp(grown.label, from + lp[c])
                next[extended] = grown
            }
        }
        beams = Dictionary(uniqueKeysWithValues: ranked(next).prefix(beamWidth).map { ($0, next[$0]!) })
    }
    return ranked(beams).prefix(beamWidth).map { labels in
        let logP = beams[labels]!.total
        return CTCDecoding(labels: labels, characterProbabilities: [], confidence: Float(exp(logP)),
                           logProbability: Float(logP))
    }
}

/// Log-probabilities of a prefix's alignments ending in a blank and ending in its last label.
private struct PrefixScore {
    var blank = -Double.infinity, label = -Double.infinity
    var total: Double { logAddExp(blank, label) }
}

/// Prefixes by decreasing probability; ties broken by the labels so results are reproducible.
private func ranked(_ scores: [[Int]: PrefixScore]) -> [[Int]] {
    let totals = scores.mapValues(\.total)
    return totals.keys.sorted { a, b in
        totals[a]! != totals[b]! ? totals[a]! > totals[b]! : a.lexicographicallyPrecedes(b)
    }
}
