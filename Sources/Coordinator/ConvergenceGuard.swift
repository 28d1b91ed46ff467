/// Notices a run that trains without learning, from its validations: the greedy readings of every
/// held-out line blank for `blankValidations` validations in a row (CTC's first phase, or a
/// learning rate too low or too high to leave it), or shards failing on a gradient that is not
/// finite. A pure value: the coordinator feeds it each validation and stores what it says
/// (`runs.warning`, a run event) so `crnnctl runs` / `show` and the pages show it.
struct ConvergenceGuard: Sendable, Equatable {
    /// Validations in a row with only blank readings before the warning.
    let blankValidations: Int
    private(set) var blankInARow = 0

    init(blankValidations: Int = 3) { self.blankValidations = blankValidations }

    /// The warning after a validation that read `blank` of `lines` held-out lines as nothing,
    /// with `nonFiniteShards` shards failed so far on a non-finite gradient; nil: nothing wrong.
    mutating func observe(blank: Int, lines: Int, nonFiniteShards: Int) -> String? {
        blankInARow = lines > 0 && blank == lines ? blankInARow + 1 : 0
        var findings: [String] = []
        if nonFiniteShards > 0 {
            findings.append("\(nonFiniteShards) shard attempt\(nonFiniteShards == 1 ? "" : "s") failed on a gradient that is NaN or ∞ "
                + "(the parameters diverge: lower optimizer.lr, or check the data)")
        }
        if blankInARow >= blankValidations {
            // The same words for as long as it lasts: one run event, not one per validation.
            findings.append("every held-out line read as blank in \(blankValidations) validations in a row "
                + "(not learning yet: check optimizer.lr, the charset and the labels)")
        }
        return findings.isEmpty ? nil : findings.joined(separator: "; ")
    }
}
