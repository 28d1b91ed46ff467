// The runs page: every run with its state, progress, loss, best accuracy, throughput, workers.
import Store

enum RunsPage {
    static func html(_ runs: [RunStore.Summary]) -> String {
        let rows = runs.map { run -> [String] in
            ["<a href=\"/runs/\(run.run)\">\(run.run)</a>",
             "<a href=\"/runs/\(run.run)\">\(HTML.escape(run.name))</a>",
             HTML.state(run.state.rawValue) + (run.error.map { " <span class=\"wrong\">\(HTML.escape($0))</span>" } ?? "")
                + (run.warning.map { " <span class=\"wrong\">warning: \(HTML.escape($0))</span>" } ?? ""),
             HTML.progress(run.progressPercent) + " (\(run.shardsCompleted)/\(run.shardsTotal))",
             HTML.number(run.trainLoss, digits: 4),
             HTML.number(run.bestValAccuracy, digits: 3),
             HTML.number(run.samplesPerSecond, digits: 1),
             String(run.activeWorkers),
             HTML.escape(run.createdAt)]
        }
        let body = runs.isEmpty
            ? "<h1>Runs</h1><p>No run yet: <code>crnnctl submit run.yaml</code> queues one.</p>"
            : "<h1>Runs</h1>" + HTML.table(
                ["run", "name", "state", "progress", "train loss", "best val accuracy", "samples/s", "workers", "created"],
                rows, numeric: [4, 5, 6, 7])
        let active = runs.contains { $0.state == .running || $0.state == .queued }
        return HTML.page(title: "Runs", body: body, refreshSeconds: active ? 15 : nil)
    }
}
