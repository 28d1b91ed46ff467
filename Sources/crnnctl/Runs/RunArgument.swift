import ArgumentParser

/// The `RUN` argument of every per-run command: a positive run id.
struct RunArgument: ParsableArguments {
    @Argument(help: ArgumentHelp("The run id (as printed by submit and runs).", valueName: "run"))
    var id: Int64

    func validate() throws {
        guard id > 0 else { throw ValidationError("RUN must be a positive run id, got \(id)") }
    }
}
