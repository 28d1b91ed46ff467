import ArgumentParser

@main
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crnn-worker",
        abstract: "Claim shards, train on them, push gradients to the parameter server.")
}
