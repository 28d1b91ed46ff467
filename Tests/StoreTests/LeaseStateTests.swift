import Foundation
import Testing
@testable import Store

/// Explaining a refused statement from the shard's row, as a pure value. The lease rules
/// themselves are SQL, driven by `LeaseRulesTests`.
@Suite struct LeaseStateTests {
    let t0 = Date(timeIntervalSince1970: 1_000_000)

    @Test func aRowReadsAsItsLease() {
        #expect(LeaseState(state: .running, owner: 1, expiresAt: t0) == .leased(owner: 1, expiresAt: t0))
        #expect(LeaseState(state: .completed, owner: 1, expiresAt: nil) == .completed(by: 1), "completing keeps the owner")
        #expect(LeaseState(state: .available, owner: nil, expiresAt: nil) == .available)
        #expect(LeaseState(state: .failed, owner: nil, expiresAt: nil) == .failed)
        #expect(LeaseState(state: nil, owner: nil, expiresAt: nil) == .failed, "no such shard")
    }

    @Test func theWorkerWhoseCompletionCountedIsToldItAlreadyDid() {
        #expect(LeaseState.completed(by: 1).completion(by: 1) == .alreadyCompleted)
        #expect(LeaseState.completed(by: 1).completion(by: 2) == .refused(.notOwner(current: .completed(by: 1))))
    }

    @Test func anyoneWithoutTheLeaseIsRefusedWithWhereItStands() {
        let leased = LeaseState.leased(owner: 2, expiresAt: t0)
        #expect(leased.completion(by: 1) == .refused(.notOwner(current: leased)), "a late completion after a re-claim")
        #expect(LeaseState.available.completion(by: 1) == .refused(.notOwner(current: .available)), "after a rescue")
        #expect(LeaseState.failed.completion(by: 1) == .refused(.notOwner(current: .failed)))
        #expect("\(ShardQueue.Refusal.notOwner(current: .completed(by: 7)))"
            == "this worker does not hold the shard's lease (now completed(by: 7))", "what the worker logs")
    }
}
