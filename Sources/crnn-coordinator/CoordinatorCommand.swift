import ArgumentParser

@main
struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crnn-coordinator",
        abstract: "Schedule runs and serve the parameter server.")
}
