import ArgumentParser

struct CheckpointsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoints",
        abstract: "List and fetch a run's checkpoints stored in PostgreSQL; convert a checkpoint file.",
        subcommands: [CheckpointsList.self, CheckpointsFetch.self, CheckpointsConvert.self])
}
