// The parameter server's rules as values: which push is taken, with what weight, and when a
// pending update becomes a step. The clock is an argument, so no test sleeps.
import Foundation
import Testing
import Vocabulary
@testable import Coordinator

@Suite struct UpdatePolicyTests {
    let t0 = Date(timeIntervalSinceReferenceDate: 1_000_000)

    func policy(_ mode: UpdateMode, bound: Int = 2, _ stale: StalenessPolicy = .refuse,
                barrierTimeout: Double = 60, maxSamples: Int = 32) -> UpdatePolicy {
        UpdatePolicy(staleness: StalenessRule(bound: bound, policy: stale), mode: mode,
                     barrierTimeout: barrierTimeout, maxSamplesPerPush: maxSamples)
    }

    @Test func asynchronousPushesAreTakenWithinTheBoundAndRefusedOrDownweightedPastIt() {
        let refusing = policy(.asynchronous, bound: 2, .refuse)
        #expect(refusing.admit(baseVersion: 10, current: 10, stopped: false) == .accumulate(staleness: 0, weight: 1))
        #expect(refusing.admit(baseVersion: 8, current: 10, stopped: false) == .accumulate(staleness: 2, weight: 1))
        guard case .refuse(3, let reason) = refusing.admit(baseVersion: 7, current: 10, stopped: false) else {
            Issue.record("a push 3 versions behind a bound of 2 must be refused"); return
        }
        #expect(reason.contains("stale") && reason.contains("pull"))

        let downweighting = policy(.asynchronous, bound: 2, .downweight)
        #expect(downweighting.admit(baseVersion: 6, current: 10, stopped: false) == .accumulate(staleness: 4, weight: 0.5))
    }

    @Test func impossibleOrLatePushesAreRefusedWhateverTheMode() {
        for mode in [UpdateMode.asynchronous, .synchronous(workers: 2)] {
            guard case .refuse(0, let future) = policy(mode).admit(baseVersion: 11, current: 10, stopped: false) else {
                Issue.record("a base version from the future must be refused"); continue
            }
            #expect(future.contains("newer"))
            #expect(policy(mode).admit(baseVersion: 10, current: 10, stopped: true)
                    == .refuse(staleness: 0, reason: "the run is no longer trained here"))
        }
    }

    @Test func aSynchronousRunTakesOnlyPushesOnTheCurrentVersion() {
        let sync = policy(.synchronous(workers: 2), bound: 100)
        #expect(sync.admit(baseVersion: 5, current: 5, stopped: false) == .accumulate(staleness: 0, weight: 1))
        guard case .refuse(1, let reason) = sync.admit(baseVersion: 4, current: 5, stopped: false) else {
            Issue.record("a synchronous run refuses a push on an older version, whatever the bound"); return
        }
        #expect(reason.contains("synchronous") && reason.contains("pull"))
    }

    @Test func aPushMayClaimOneToBatchSizeSamples() {
        let p = policy(.asynchronous, maxSamples: 32)
        #expect(p.claimProblem(sampleCount: 1) == nil && p.claimProblem(sampleCount: 32) == nil)
        #expect(p.claimProblem(sampleCount: 0)?.contains("1 to 32") == true)
        #expect(p.claimProblem(sampleCount: 33)?.contains("33 samples") == true)
        #expect(p.claimProblem(sampleCount: Int(UInt32.max)) != nil)
    }

    @Test func anAsynchronousUpdateStepsAsSoonAsItHoldsAPush() {
        let p = policy(.asynchronous)
        #expect(!p.stepsNow(pushes: 0, openedAt: nil, workersTraining: 5, now: t0))
        #expect(p.stepsNow(pushes: 1, openedAt: t0, workersTraining: 5, now: t0))
    }

    @Test func aBarrierWaitsForItsWorkersOrItsTimeout() {
        let two = policy(.synchronous(workers: 2), barrierTimeout: 60)
        #expect(!two.stepsNow(pushes: 1, openedAt: t0, workersTraining: 2, now: t0))
        #expect(!two.stepsNow(pushes: 1, openedAt: t0, workersTraining: 2, now: t0 + 59.9))
        #expect(two.stepsNow(pushes: 1, openedAt: t0, workersTraining: 2, now: t0 + 60), "timed out: step without the missing worker")
        #expect(two.stepsNow(pushes: 2, openedAt: t0, workersTraining: 2, now: t0))
        // Fewer workers hold shards than the config names: the barrier waits for those there are.
        #expect(two.stepsNow(pushes: 1, openedAt: t0, workersTraining: 1, now: t0))
        #expect(!two.stepsNow(pushes: 0, openedAt: nil, workersTraining: 2, now: t0 + 1000))
    }

    @Test func aBarrierOverEveryWorkerFollowsTheCoordinatorsCount() {
        let everyone = policy(.synchronous(workers: nil))
        #expect(!everyone.stepsNow(pushes: 2, openedAt: t0, workersTraining: 3, now: t0))
        #expect(everyone.stepsNow(pushes: 2, openedAt: t0, workersTraining: 2, now: t0), "a worker gave its shard back")
        #expect(everyone.stepsNow(pushes: 1, openedAt: t0, workersTraining: nil, now: t0), "not counted yet: one push is enough")
    }
}
