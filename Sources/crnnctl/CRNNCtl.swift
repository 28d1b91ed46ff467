import ArgumentParser

@main
struct CRNNCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crnnctl",
        abstract: "Submit, watch and use CRNN training runs on a crnn-cluster.",
        subcommands: [DBCommand.self, GenCommand.self, PredictCommand.self, EvalCommand.self, BenchCommand.self])
}
