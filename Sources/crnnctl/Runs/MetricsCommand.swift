import ArgumentParser
import CommandLineSupport
import Store

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Print a run's metrics by name and step.",
        discussion: "Names in use: train_loss, val_accuracy, val_loss, samples, lr, staleness.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var target: RunArgument

    @Option(help: "Only this metric (e.g. train_loss).")
    var name: String?

    @Flag(help: "Print CSV (step,time,name,value,worker) for plotting.")
    var csv = false

    func run() throws {
        let points = try MetricsStore(connection: database.connect(applicationName: "crnnctl"))
            .series(run: target.id, name: name)
        if csv {
            print("step,time,name,value,worker")
            for point in points {
                print("\(point.step),\(point.time),\(point.name),\(point.value),\(point.worker.map(String.init) ?? "")")
            }
            return
        }
        guard !points.isEmpty else {
            print("run \(target.id) has no metrics" + (name.map { " named \($0)" } ?? "") + " yet")
            return
        }
        print(textTable(["STEP", "TIME", "NAME", "VALUE", "WORKER"], points.map {
            [String($0.step), $0.time, $0.name, cell($0.value, digits: 6), $0.worker.map(String.init) ?? "-"]
        }))
    }
}
