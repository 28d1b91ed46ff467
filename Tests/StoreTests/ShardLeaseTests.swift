import Foundation
import Testing
@testable import Store

/// The lease rules as a pure value.
@Suite struct ShardLeaseTests {
    let t0 = Date(timeIntervalSince1970: 1_000_000)

    @Test func claimRenewComplete() {
        var lease = ShardLease()
        #expect(lease.claim(by: 1, now: t0, duration: 30) == .claimed(expiresAt: t0 + 30))
        #expect(lease.claim(by: 2, now: t0, duration: 30) == .refused(.notAvailable(.leased(owner: 1, expiresAt: t0 + 30))))
        #expect(lease.renew(by: 1, now: t0 + 20, duration: 30) == .renewed(expiresAt: t0 + 50))
        #expect(lease.renew(by: 2, now: t0 + 20, duration: 30) == .refused(.notOwner(current: lease.state)))
        #expect(lease.complete(by: 1) == .completed)
        #expect(lease.complete(by: 1) == .alreadyCompleted, "completing twice counts once")
        #expect(lease.complete(by: 2) == .refused(.notOwner(current: .completed(by: 1))))
    }

    @Test func expiryReturnsThenFails() {
        var lease = ShardLease(maxAttempts: 2)
        _ = lease.claim(by: 1, now: t0, duration: 10)
        #expect(lease.expire(now: t0 + 5) == nil, "not yet expired")
        #expect(lease.expire(now: t0 + 11) == .returned(attempt: 1))
        #expect(lease.complete(by: 1) == .refused(.notOwner(current: .available)), "late completion refused")
        _ = lease.claim(by: 2, now: t0 + 12, duration: 10)
        #expect(lease.complete(by: 1) == .refused(.notOwner(current: lease.state)))
        #expect(lease.expire(now: t0 + 30) == .failed(attempt: 2))
        #expect(lease.state == .failed)
    }

    @Test func giveBackCostsNoAttemptButFailDoes() {
        var lease = ShardLease(maxAttempts: 3)
        _ = lease.claim(by: 1, now: t0, duration: 10)
        #expect(lease.giveBack(by: 1) == .gaveBack)
        #expect(lease.attempt == 0 && lease.state == .available)
        _ = lease.claim(by: 1, now: t0, duration: 10)
        #expect(lease.fail(by: 2) == .refused(.notOwner(current: lease.state)))
        #expect(lease.fail(by: 1) == .returned(attempt: 1))
    }

    @Test func ownerMayStillCompleteAnExpiredButUnrescuedLease() {
        var lease = ShardLease()
        _ = lease.claim(by: 1, now: t0, duration: 1)
        #expect(lease.complete(by: 1) == .completed, "nobody took it back, so no work is lost")
    }
}
