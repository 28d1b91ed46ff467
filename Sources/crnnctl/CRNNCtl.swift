import ArgumentParser

@main
struct CRNNCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crnnctl",
        abstract: "Submit, watch and use CRNN training runs on a crnn-cluster.",
        subcommands: [
            SubmitCommand.self, RunsCommand.self, ExperimentsCommand.self, ShowCommand.self, CancelCommand.self, PauseCommand.self,
            ResumeCommand.self, MetricsCommand.self, PlotCommand.self, UICommand.self, CheckpointsCommand.self, DatasetsCommand.self, SQLCommand.self,
            PredictCommand.self, EvalCommand.self, ExportCommand.self, ImportTorchCommand.self, GenCommand.self, DBCommand.self, BenchCommand.self,
        ])
}
