/// Which run state changes are legal, as a pure value: `RunStore` reads the state under a row
/// lock, asks here, and carries out the answer. Tested without a database.
public struct RunLifecycle: Sendable {
    public enum Command: Equatable, Sendable {
        /// A coordinator takes a queued run.
        case start
        case pause, resume, cancel
        /// The coordinator saw every shard done.
        case complete
        case fail(reason: String)

        public var verb: String {
            switch self {
            case .start: return "start"
            case .pause: return "pause"
            case .resume: return "resume"
            case .cancel: return "cancel"
            case .complete: return "complete"
            case .fail: return "fail"
            }
        }
    }

    /// What `RunStore` must do.
    public enum Action: Equatable, Sendable {
        /// Move the run; stamp `started_at` / `finished_at`; record `error`; NOTIFY idle claimers
        /// when shards just became claimable.
        case transition(to: RunState, stampsStart: Bool, stampsFinish: Bool, error: String?, wakesClaimers: Bool)
        /// Already there (pausing a paused run): nothing to change, not an error.
        case none
    }

    /// A command the run's state does not allow, worded for the person who typed it.
    public struct Refusal: Error, Equatable, CustomStringConvertible, Sendable {
        public let state: RunState
        public let command: Command
        public var description: String {
            switch (state, command) {
            case (.running, .start):
                return "the run is already running (taken by a coordinator)"
            case (_, .resume) where state == .queued:
                return "the run is queued, not paused: it starts when a coordinator takes it"
            default:
                return "the run is \(state.rawValue); it cannot \(command.verb)"
            }
        }
    }

    public let state: RunState

    public init(state: RunState) { self.state = state }

    /// Decides `command` for a run in `state`.
    public func apply(_ command: Command) -> Result<Action, Refusal> {
        let refuse = Result<Action, Refusal>.failure(Refusal(state: state, command: command))
        switch (command, state) {
        case (.start, .queued):
            return .success(.transition(to: .running, stampsStart: true, stampsFinish: false, error: nil, wakesClaimers: true))
        case (.pause, .running):
            return .success(.transition(to: .paused, stampsStart: false, stampsFinish: false, error: nil, wakesClaimers: false))
        case (.pause, .paused), (.resume, .running), (.cancel, .cancelled), (.complete, .completed):
            return .success(.none)
        case (.resume, .paused):
            return .success(.transition(to: .running, stampsStart: false, stampsFinish: false, error: nil, wakesClaimers: true))
        case (.cancel, .queued), (.cancel, .running), (.cancel, .paused):
            return .success(.transition(to: .cancelled, stampsStart: false, stampsFinish: true, error: nil, wakesClaimers: false))
        case (.complete, .running):
            return .success(.transition(to: .completed, stampsStart: false, stampsFinish: true, error: nil, wakesClaimers: false))
        case (.fail(let reason), .queued), (.fail(let reason), .running), (.fail(let reason), .paused):
            return .success(.transition(to: .failed, stampsStart: false, stampsFinish: true, error: reason, wakesClaimers: false))
        default:
            return refuse
        }
    }
}
