import Testing
@testable import Store

/// ASHA's decisions as a pure value: given a rung's recorded results and a newcomer's value,
/// promote or stop.
@Suite struct ASHATests {
    let asha = ASHA(rungs: .init(minBudget: 1.0 / 9, reductionFactor: 3), goal: .maximize)

    @Test func rungBudgetsGrowByTheReductionFactorBelowTheFullBudget() {
        let budgets = asha.rungs.budgets
        #expect(budgets.count == 2)
        #expect(abs(budgets[0] - 1.0 / 9) < 1e-12 && abs(budgets[1] - 1.0 / 3) < 1e-12)
        #expect(ASHA(rungs: .init(minBudget: 0.01, reductionFactor: 2), goal: .maximize).rungs.budgets.count == 7)
        #expect(asha.rungsReached(fraction: 0.05) == [])
        #expect(asha.rungsReached(fraction: 0.2) == [0])
        #expect(asha.rungsReached(fraction: 1) == [0, 1])
    }

    @Test func theFirstArrivalContinuesNobodyWaitsForARungToFill() {
        let decision = asha.decide(value: 0.01, earlier: [])
        #expect(decision.promoted && decision.results == 1)
    }

    @Test func onlyTheTopThirdContinues() {
        // With a newcomer among 0.9, 0.5, 0.1 the bar is the 2/3 quantile of the four values
        // (linear between neighbours): position 2/3 · 3 = 2, the third smallest.
        let earlier = [0.9, 0.5, 0.1]
        #expect(asha.decide(value: 0.95, earlier: earlier).promoted)
        #expect(asha.decide(value: 0.6, earlier: earlier) == .init(promoted: true, cutoff: 0.6, results: 4), "at the bar continues")
        #expect(asha.decide(value: 0.45, earlier: earlier) == .init(promoted: false, cutoff: 0.5, results: 4), "third of four stops")
        #expect(!asha.decide(value: 0.05, earlier: earlier).promoted)
        // Three values [0.1, 0.6, 0.9]: position 4/3 → 0.6 + (0.9 − 0.6)/3 = 0.7.
        let three = asha.decide(value: 0.6, earlier: [0.9, 0.1])
        #expect(!three.promoted && abs(three.cutoff - 0.7) < 1e-9)
        // Two: the newcomer must beat the other to continue.
        #expect(!asha.decide(value: 0.8, earlier: [0.9]).promoted)
        #expect(asha.decide(value: 0.95, earlier: [0.9]).promoted)
    }

    @Test func aMinimisedMetricPromotesTheSmallest() {
        let losses = ASHA(rungs: asha.rungs, goal: .minimize)
        #expect(losses.decide(value: 0.2, earlier: [1.5, 0.9, 3.0]).promoted)
        let worse = losses.decide(value: 1.2, earlier: [1.5, 0.9, 0.3])
        #expect(!worse.promoted && worse.cutoff > 0.3 && worse.cutoff < 1.2, "cutoff \(worse.cutoff) in loss units")
    }

    @Test func aMissingValueRanksLast() {
        #expect(!asha.decide(value: .nan, earlier: [0.1]).promoted)
        #expect(asha.decide(value: 0.0, earlier: [.nan, .nan]).promoted)
    }
}
