/// How well readings match their truths: exact line accuracy, character error rate and 1 − NED.
public struct RecognitionScore: Sendable, Equatable {
    public private(set) var lines = 0
    public private(set) var correctLines = 0
    public private(set) var truthCharacters = 0
    public private(set) var characterErrors = 0
    /// Σ over lines of edit distance / max(len(truth), len(reading)).
    public private(set) var normalizedDistanceSum = 0.0

    public init() {}

    /// Fraction of lines read exactly right.
    public var lineAccuracy: Double { lines == 0 ? 0 : Double(correctLines) / Double(lines) }

    /// Edit distance summed over lines, divided by the truth's length (can exceed 1).
    public var characterErrorRate: Double {
        truthCharacters == 0 ? (characterErrors == 0 ? 0 : 1) : Double(characterErrors) / Double(truthCharacters)
    }

    /// ICDAR 2019's 1 − NED: 1 − the mean over lines of edit distance / max(len(truth),
    /// len(reading)) (a line whose truth and reading are both empty counts as 1).
    public var oneMinusNED: Double { lines == 0 ? 0 : 1 - normalizedDistanceSum / Double(lines) }

    /// Adds one line; returns its edit distance.
    @discardableResult
    public mutating func add<C: Collection>(truth: C, reading: C) -> Int where C.Element: Equatable {
        let distance = editDistance(Array(truth), Array(reading))
        lines += 1
        if distance == 0 { correctLines += 1 }
        truthCharacters += truth.count
        characterErrors += distance
        let longer = max(truth.count, reading.count)
        if longer > 0 { normalizedDistanceSum += Double(distance) / Double(longer) }
        return distance
    }
}

/// Levenshtein distance (insertions, deletions, substitutions each cost 1).
public func editDistance<E: Equatable>(_ a: [E], _ b: [E]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
