import ArgumentParser
import CommandLineSupport
import Store

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one run: state, shard progress, latest metrics, history and config.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var target: RunArgument

    func run() throws {
        let detail = try RunStore(connection: database.connect(applicationName: "crnnctl")).detail(run: target.id)
        let summary = detail.summary
        print("run \(summary.run): \(summary.name)")
        print("state:      \(summary.state.rawValue)" + (summary.error.map { " (\($0))" } ?? ""))
        if let warning = summary.warning { print("warning:    \(warning)") }
        print("priority:   \(summary.priority)")
        print("shards:     \(summary.shardsCompleted)/\(summary.shardsTotal) completed"
            + (summary.progressPercent.map { String(format: " (%.1f%%)", $0) } ?? ""))
        print("            " + ShardState.allCases.map { "\($0.rawValue) \(detail.shardStates[$0.rawValue] ?? 0)" }
            .joined(separator: ", "))
        print("workers:    \(summary.activeWorkers) active, \(cell(summary.samplesPerSecond, digits: 1)) samples/s")
        print("charset:    \(detail.charsetName)" + (detail.charsetSize.map { " (\($0) characters)" } ?? " (resolved when the run starts)"))
        let servers = detail.psAddress?.split(separator: ",").map(String.init) ?? []
        switch servers.count {
        case 0: print("parameters: not published yet")
        case 1: print("parameters: \(servers[0])")
        default:
            // Sharded parameter servers (crnn-coordinator --ps-shards): one key range each.
            print("parameters: \(servers.count) shards: " + servers.enumerated().map { "\($0.offset + 1) at \($0.element)" }
                .joined(separator: ", "))
        }
        print("created:    \(summary.createdAt)")
        if let started = summary.startedAt { print("started:    \(started)") }
        if let finished = summary.finishedAt { print("finished:   \(finished)") }
        if !detail.latestMetrics.isEmpty {
            print("\nlatest metrics:")
            print(textTable(["NAME", "STEP", "VALUE", "TIME"],
                            detail.latestMetrics.map { [$0.name, String($0.step), cell($0.value, digits: 6), $0.time] }))
        }
        print("\nhistory:")
        print(textTable(["TIME", "FROM", "TO", "BY", "DETAIL"], detail.events.map {
            [$0.time, $0.from?.rawValue ?? "-", $0.to.rawValue, $0.actor, $0.detail ?? ""]
        }))
        print("\nconfig:" + (detail.overrides.isEmpty ? "" : " (with --set \(detail.overrides.joined(separator: " --set ")))"))
        print(detail.configYAML)
    }
}
