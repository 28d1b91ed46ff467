import Testing
@testable import Coordinator

/// The convergence guard as a pure value: all-blank readings for three validations in a row, or
/// shards failed on a non-finite gradient, give a warning naming what to check; a validation
/// that reads something clears the blank count.
@Suite struct ConvergenceGuardTests {
    @Test func threeAllBlankValidationsInARowWarn() {
        var watch = ConvergenceGuard()
        #expect(watch.observe(blank: 500, lines: 500, nonFiniteShards: 0) == nil)
        #expect(watch.observe(blank: 500, lines: 500, nonFiniteShards: 0) == nil)
        let warning = watch.observe(blank: 500, lines: 500, nonFiniteShards: 0)
        #expect(warning?.contains("every held-out line read as blank in 3 validations in a row") == true)
        #expect(watch.observe(blank: 500, lines: 500, nonFiniteShards: 0) == warning, "the same words while it lasts")
        #expect(warning?.contains("optimizer.lr") == true)
        // One line read: learning has started, the warning goes.
        #expect(watch.observe(blank: 499, lines: 500, nonFiniteShards: 0) == nil)
        #expect(watch.observe(blank: 500, lines: 500, nonFiniteShards: 0) == nil, "the count starts again")
    }

    @Test func nonFiniteGradientsWarnAtOnceAndTogetherWithBlanks() {
        var watch = ConvergenceGuard(blankValidations: 1)
        #expect(watch.observe(blank: 3, lines: 10, nonFiniteShards: 1)?.contains("1 shard attempt failed on a gradient that is NaN or ∞") == true)
        let both = watch.observe(blank: 10, lines: 10, nonFiniteShards: 2)
        #expect(both?.contains("2 shard attempts failed") == true && both?.contains("blank in 1 validations in a row") == true)
        #expect(watch.observe(blank: 0, lines: 0, nonFiniteShards: 0) == nil, "an empty validation set is not blank readings")
    }
}
