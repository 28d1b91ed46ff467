/// A run's state, mirroring SQL `run_state` (001_states.sql). Moves are decided by `RunLifecycle`:
///
/// - `queued → running`: a coordinator takes the run (`RunStore.start`).
/// - `running → paused → running`: `crnnctl pause` / `resume`; a paused run hands out no shards.
/// - `queued | running | paused → cancelled`: `crnnctl cancel`; no shard is handed out again.
/// - `running → completed`: the coordinator, once every shard is done.
/// - `queued | running | paused → failed`: the coordinator, with the reason in `runs.error`.
public enum RunState: String, Codable, CaseIterable, Sendable {
    case queued, running, paused, completed, failed, cancelled

    /// Completed, failed and cancelled runs never change again.
    public var isFinal: Bool { self == .completed || self == .failed || self == .cancelled }
}

/// A shard's state, mirroring SQL `shard_state`. Moves are made only by the statements in
/// sql/queries/shards.sql (through `ShardQueue` and the heartbeat):
///
/// - `available → running`: a worker claims it with a lease (`ShardQueue.claim`).
/// - `running → completed`: its lease owner completes it, with its final metrics.
/// - `running → available`: the owner gives it back, or its lease expired (`attempt + 1`).
/// - `running → failed`: `attempt` reached `max_attempts` (expired leases or reported failures).
public enum ShardState: String, Codable, CaseIterable, Sendable {
    case available, running, completed, failed
}
