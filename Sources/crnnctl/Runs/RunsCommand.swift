import ArgumentParser
import CommandLineSupport
import Foundation
import Store

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List runs with their progress (the run_summary view).")

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let runs = try RunStore(connection: database.connect(applicationName: "crnnctl")).list()
        if json { return try printJSON(runs) }
        guard !runs.isEmpty else {
            print("no runs yet: crnnctl submit examples/demo.yaml")
            return
        }
        print(textTable(
            ["RUN", "NAME", "STATE", "PRIORITY", "SHARDS", "PROGRESS", "LOSS", "BEST ACC", "SAMPLES/S", "WORKERS"],
            runs.map { run in
                [String(run.run), run.name, run.state.rawValue + (run.warning == nil ? "" : " (warning)"), String(run.priority),
                 "\(run.shardsCompleted)/\(run.shardsTotal)" + (run.shardsFailed > 0 ? " (\(run.shardsFailed) failed)" : ""),
                 run.progressPercent.map { String(format: "%.1f%%", $0) } ?? "-",
                 cell(run.trainLoss), cell(run.bestValAccuracy), cell(run.samplesPerSecond, digits: 1),
                 String(run.activeWorkers)]
            }))
        for run in runs { if let warning = run.warning { print("run \(run.run): warning: \(warning)") } }
    }
}
