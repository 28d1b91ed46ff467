import Testing
@testable import Store

/// The run state machine as a pure value: every command from every state.
@Suite struct RunLifecycleTests {
    func target(_ command: RunLifecycle.Command, from state: RunState) -> RunState? {
        switch RunLifecycle(state: state).apply(command) {
        case .success(.transition(let to, _, _, _, _)): return to
        case .success(.none): return state
        case .failure: return nil
        }
    }

    @Test func legalMoves() {
        #expect(target(.start, from: .queued) == .running)
        #expect(target(.pause, from: .running) == .paused)
        #expect(target(.resume, from: .paused) == .running)
        for state in [RunState.queued, .running, .paused] {
            #expect(target(.cancel, from: state) == .cancelled)
            #expect(target(.fail(reason: "x"), from: state) == .failed)
        }
        #expect(target(.complete, from: .running) == .completed)
    }

    @Test func repeatingACommandIsHarmless() {
        #expect(RunLifecycle(state: .paused).apply(.pause) == .success(.none))
        #expect(RunLifecycle(state: .running).apply(.resume) == .success(.none))
        #expect(RunLifecycle(state: .cancelled).apply(.cancel) == .success(.none))
    }

    @Test func finalStatesRefuseEverythingElse() {
        for state in RunState.allCases where state.isFinal {
            for command in [RunLifecycle.Command.start, .pause, .resume] {
                #expect(target(command, from: state) == nil, "\(command) from \(state)")
            }
        }
        #expect(target(.complete, from: .paused) == nil)
        #expect(target(.pause, from: .queued) == nil)
        #expect(target(.start, from: .running) == nil, "two coordinators must not both start a run")
    }

    @Test func startAndResumeWakeClaimersAndStampTimes() {
        guard case .success(.transition(_, let stampsStart, _, _, let wakes)) = RunLifecycle(state: .queued).apply(.start) else {
            Issue.record("start refused"); return
        }
        #expect(stampsStart && wakes)
        guard case .success(.transition(_, _, let finish, let error, let wakesOnFail)) =
                RunLifecycle(state: .running).apply(.fail(reason: "diverged")) else {
            Issue.record("fail refused"); return
        }
        #expect(finish && error == "diverged" && !wakesOnFail)
    }

    @Test func refusalsReadWell() {
        guard case .failure(let refusal) = RunLifecycle(state: .completed).apply(.pause) else {
            Issue.record("expected a refusal"); return
        }
        #expect(refusal.description == "the run is completed; it cannot pause")
    }
}
