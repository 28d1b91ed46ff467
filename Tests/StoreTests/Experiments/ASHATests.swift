import Testing
@testable import Store

/// ASHA's decisions as a pure value: given a rung's recorded results, which waiting trials go on
/// and (once the rung is closed) which stop.
@Suite struct ASHATests {
    let asha = ASHA(rungs: .init(minBudget: 1.0 / 9, reductionFactor: 3), goal: .maximize)

    @Test func rungBudgetsGrowByTheReductionFactorBelowTheFullBudget() {
        let budgets = asha.rungs.budgets
        #expect(budgets.count == 2)
        #expect(abs(budgets[0] - 1.0 / 9) < 1e-12 && abs(budgets[1] - 1.0 / 3) < 1e-12)
        #expect(ASHA(rungs: .init(minBudget: 0.01, reductionFactor: 2), goal: .maximize).rungs.budgets.count == 7)
        #expect(SearchSpec.Rungs(minBudget: 0.1111, reductionFactor: 3).budgets.count == 2, "no rung at 99.99 %")
        #expect(asha.rungsReached(fraction: 0.05) == [])
        #expect(asha.rungsReached(fraction: 0.2) == [0])
        #expect(asha.rungsReached(fraction: 1) == [0, 1])
    }

    @Test func anOpenRungPromotesItsTopThirdAsSoonAsThereIsOneAndNeverStops() {
        // Two results: ⌊2/3⌋ = 0 go on yet; the first arrival is not promoted for being first.
        let two = asha.decide(.init(results: [1: 0.2, 2: 0.9], open: true))
        #expect(two.promote.isEmpty && two.stop.isEmpty && two.quota == 0 && two.cutoff == nil)
        // Three: the best one goes on, the others keep waiting (better ones may still come).
        #expect(asha.decide(.init(results: [1: 0.2, 2: 0.9, 3: 0.5], open: true))
                == .init(promote: [2], stop: [], cutoff: 0.9, quota: 1))
        // Six, trial 2 promoted before: the second place (trial 5) goes on too.
        let six = asha.decide(.init(results: [1: 0.2, 2: 0.9, 3: 0.5, 4: 0.1, 5: 0.7, 6: 0.3], promoted: [2], open: true))
        #expect(six == .init(promote: [5], stop: [], cutoff: 0.7, quota: 2))
    }

    @Test func aClosedRungStopsEveryWaitingTrialOutsideItsTopShare() {
        // Eight results, nobody else can come: ⌈8/3⌉ = 3 go on, the other waiting ones stop.
        let results: [Int: Double] = [1: 0.2, 2: 0.9, 3: 0.5, 4: 0.1, 5: 0.7, 6: 0.3, 7: 0.6, 8: 0.05]
        let closed = asha.decide(.init(results: results, promoted: [2, 5], stopped: [], open: false))
        #expect(closed == .init(promote: [7], stop: [1, 3, 4, 6, 8], cutoff: 0.6, quota: 3))
        // One result alone in a closed rung still goes on (a search always finishes a trial).
        #expect(asha.decide(.init(results: [4: 0.1], open: false)).promote == [4])
        // Decided trials are not decided again.
        #expect(asha.decide(.init(results: results, promoted: [2, 5, 7], stopped: [1, 3, 4, 6, 8], open: false))
                == .init(promote: [], stop: [], cutoff: 0.6, quota: 3))
    }

    @Test func aMinimisedMetricPromotesTheSmallest() {
        let losses = ASHA(rungs: asha.rungs, goal: .minimize)
        let decision = losses.decide(.init(results: [1: 1.5, 2: 0.9, 3: 3.0, 4: 0.2], open: false))
        #expect(decision == .init(promote: [2, 4], stop: [1, 3], cutoff: 0.9, quota: 2))
    }

    @Test func aMissingValueRanksLastAndTiesGoToTheEarlierTrial() {
        #expect(asha.decide(.init(results: [1: .nan, 2: 0.0], open: false)).promote == [2])
        #expect(asha.decide(.init(results: [3: 0.5, 1: 0.5, 2: 0.5], open: true)).promote == [1])
    }
}
