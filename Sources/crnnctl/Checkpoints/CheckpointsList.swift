import ArgumentParser
import CommandLineSupport
import Store

struct CheckpointsList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List a run's checkpoints.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var target: RunArgument

    func run() throws {
        let records = try CheckpointStore(connection: database.connect(applicationName: "crnnctl")).list(run: target.id)
        guard !records.isEmpty else {
            print("run \(target.id) has no checkpoints yet")
            return
        }
        print(textTable(["ID", "STEP", "KIND", "SIZE", "SHA256", "METRICS", "CREATED"], records.map {
            [String($0.id), String($0.step), $0.kind.rawValue, String($0.size), String($0.sha256.prefix(16)), $0.metrics, $0.createdAt]
        }))
    }
}
