// One run: its state and progress, curves, shards, workers, checkpoints, a gallery of
// validation lines with their reading, its history and its configuration.
import Foundation
import Store

enum RunPage {
    struct Content {
        let detail: RunStore.Detail
        let workers: [WorkerRegistry.RunWorker]
        let checkpoints: [CheckpointStore.Record]
        /// nil: no checkpoint yet; an empty list: a dataset run; `galleryError`: it failed.
        let gallery: [GalleryLine]?
        let galleryError: String?
    }

    /// A checkpoint's metrics JSON as "val_accuracy 0.54, val_cer 0.109, …" (the raw text when it
    /// is not a flat object of numbers).
    static func figures(_ json: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Double] else { return json }
        return object.keys.sorted().map { "\($0) \(String(format: "%.4g", object[$0]!))" }.joined(separator: ", ")
    }

    static func html(_ content: Content) -> String {
        let detail = content.detail, summary = detail.summary, id = summary.run
        var body = "<h1>Run \(id): \(HTML.escape(summary.name)) \(HTML.state(summary.state.rawValue))</h1>"
        if let error = summary.error { body += "<p class=\"error\">\(HTML.escape(error))</p>" }
        if let warning = summary.warning { body += "<p class=\"error\">warning: \(HTML.escape(warning))</p>" }
        body += HTML.table(["progress", "train loss", "best val accuracy", "samples/s", "active workers", "charset", "parameter server"], [[
            HTML.progress(summary.progressPercent) + " (\(summary.shardsCompleted)/\(summary.shardsTotal) shards)",
            HTML.number(summary.trainLoss, digits: 4), HTML.number(summary.bestValAccuracy, digits: 3),
            HTML.number(summary.samplesPerSecond, digits: 1), String(summary.activeWorkers),
            HTML.escape(detail.charsetName) + (detail.charsetSize.map { " (\($0) characters)" } ?? ""),
            HTML.escape(detail.psAddress ?? "not published"),
        ]])

        body += "<h2>Curves</h2><p><img alt=\"loss and validation curves\" src=\"/runs/\(id)/curves.svg\"></p>"
            + "<p><a href=\"/runs/\(id)/curves.svg\">curves.svg</a> (the same as <code>crnnctl plot \(id)</code>)</p>"

        body += "<h2>Shards</h2>" + HTML.table(ShardState.allCases.map(\.rawValue),
                                              [ShardState.allCases.map { String(detail.shardStates[$0.rawValue] ?? 0) }],
                                              numeric: Set(0..<ShardState.allCases.count))

        body += "<h2>Workers</h2>"
        body += content.workers.isEmpty ? "<p>No worker has held a shard of this run.</p>" : HTML.table(
            ["worker", "host", "threads", "last heartbeat", "running", "completed", "samples/s"],
            content.workers.map { worker in
                let age = worker.secondsSinceHeartbeat
                let alive = age < 120 ? "" : " <span class=\"wrong\">(\(Int(age)) s ago)</span>"
                return ["\(HTML.escape(worker.name)) #\(worker.id)", HTML.escape(worker.host), String(worker.threads),
                        HTML.escape(worker.lastHeartbeat) + alive, String(worker.shardsRunning), String(worker.shardsCompleted),
                        HTML.number(worker.samplesPerSecond, digits: 1)]
            }, numeric: [2, 4, 5, 6])

        body += "<h2>Checkpoints</h2>"
        body += content.checkpoints.isEmpty ? "<p>None yet.</p>" : HTML.table(
            ["id", "step", "kind", "metrics", "size", "created", ""],
            content.checkpoints.reversed().map { record in
                [String(record.id), String(record.step), HTML.escape(record.kind.rawValue), HTML.escape(Self.figures(record.metrics)),
                 String(format: "%.1f MB", Double(record.size) / 1e6), HTML.escape(record.createdAt),
                 "<a href=\"/runs/\(id)/checkpoints/\(record.id)\" download=\"run\(id)-step\(record.step).crnn\">download</a>"]
            }, numeric: [0, 1, 4])

        body += "<h2>Validation lines</h2>"
        if let error = content.galleryError {
            body += "<p class=\"error\">\(HTML.escape(error))</p>"
        } else if let lines = content.gallery {
            body += lines.isEmpty
                ? "<p>This run trains on a dataset folder; its held-out lines are in that folder.</p>"
                : "<p>The first \(lines.count) lines of the run's held-out set, read by its best checkpoint.</p>" + Gallery.html(lines)
        } else {
            body += "<p>No checkpoint yet: the lines appear once the coordinator stores one.</p>"
        }

        body += "<h2>History</h2>" + HTML.table(["time", "from", "to", "by", "detail"], detail.events.map {
            [HTML.escape($0.time), HTML.escape($0.from?.rawValue ?? "–"), HTML.escape($0.to.rawValue),
             HTML.escape($0.actor), HTML.escape($0.detail ?? "")]
        })
        body += "<h2>Configuration</h2>"
        if !detail.overrides.isEmpty { body += "<p>with <code>--set \(HTML.escape(detail.overrides.joined(separator: " --set ")))</code></p>" }
        body += "<pre>\(HTML.escape(detail.configYAML))</pre>"
        let active = summary.state == .running || summary.state == .queued
        return HTML.page(title: "Run \(id): \(summary.name)", body: body, refreshSeconds: active ? 15 : nil)
    }
}
