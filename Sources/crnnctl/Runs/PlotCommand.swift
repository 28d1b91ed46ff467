import ArgumentParser
import CommandLineSupport
import Foundation
import Plots
import Store

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Write a run's loss and validation curves as an SVG file.",
        discussion: "Two charts against the parameter version: training and validation loss; validation line accuracy and character error rate. Open the file in any browser.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var target: RunArgument

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The SVG file to write.", valueName: "file"))
    var output = "curves.svg"

    func run() throws {
        let connection = try database.connect(applicationName: "crnnctl")
        let detail = try RunStore(connection: connection).detail(run: target.id)
        let points = try MetricsStore(connection: connection).series(run: target.id).map {
            RunCurves.Point(name: $0.name, step: $0.step, value: $0.value, fromWorker: $0.worker != nil)
        }
        let title = "run \(target.id) (\(detail.summary.name)): \(detail.summary.state.rawValue)"
        let svg = SVG.document(title: title, charts: RunCurves.charts(points))
        do {
            try svg.write(toFile: output, atomically: true, encoding: .utf8)
        } catch {
            throw ValidationError("cannot write \(output): \(error.localizedDescription)")
        }
        let validations = points.filter { $0.name == "val_accuracy" && !$0.fromWorker }.count
        print("\(output): curves of run \(target.id) (\(points.filter { $0.name == "train_loss" && !$0.fromWorker }.count) training-loss points, \(validations) validations)")
    }
}
