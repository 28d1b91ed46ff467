import CommandLineSupport
import Store

/// What cancel, pause and resume share: apply one lifecycle command and say what happened.
func changeRunState(_ command: RunLifecycle.Command, run: Int64, database: DatabaseOptions, reason: String?) throws {
    let store = RunStore(connection: try database.connect(applicationName: "crnnctl"))
    let before = try store.detail(run: run).summary.state
    let after = try store.apply(command, run: run, detail: reason)
    print(before == after ? "run \(run) is already \(after.rawValue)" : "run \(run): \(before.rawValue) -> \(after.rawValue)")
}
