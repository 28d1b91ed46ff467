// The experiments pages: every search with its progress and compute, and one experiment's trials
// (parameters, state, best metric, budget, why stopped) with their curves on one chart.
import Store

enum ExperimentPage {
    static func list(_ experiments: [ExperimentStore.Summary]) -> String {
        let rows = experiments.map { e -> [String] in
            ["<a href=\"/experiments/\(e.experiment)\">\(e.experiment)</a>",
             "<a href=\"/experiments/\(e.experiment)\">\(HTML.escape(e.name))</a>",
             HTML.escape(e.method), HTML.state(e.state),
             "\(e.trials) (\(e.running) running, \(e.waiting) waiting, \(e.pending) pending, \(e.stopped) stopped, \(e.completed) completed)",
             HTML.progress(e.computePercent), e.bestTrial.map(String.init) ?? "-",
             HTML.escape(e.metric) + " " + HTML.number(e.bestMetric, digits: 4)]
        }
        let body = experiments.isEmpty
            ? "<h1>Experiments</h1><p>No experiment yet: a run config with a <code>search:</code> section, submitted with <code>crnnctl submit</code>, makes one.</p>"
            : "<h1>Experiments</h1>" + HTML.table(
                ["experiment", "name", "method", "state", "trials", "compute of all trials run to the end", "best trial", "best"],
                rows, numeric: [6])
        return HTML.page(title: "Experiments", body: body, refreshSeconds: experiments.contains { $0.state == "running" } ? 15 : nil)
    }

    static func html(_ e: ExperimentStore.Summary, trials: [ExperimentStore.TrialSummary]) -> String {
        var body = "<h1>Experiment \(e.experiment): \(HTML.escape(e.name))</h1>"
        body += "<p>\(HTML.escape(e.method)), \(HTML.state(e.state)), ranked by \(HTML.escape(e.metric)); "
            + "\(e.samplesUsed) samples trained of \(e.samplesAllTrialsFull) for every trial run to its end "
            + "(\(HTML.number(e.computePercent, digits: 1)) %)</p>"
        if let best = e.bestTrial, let run = trials.first(where: { $0.trial == best })?.run {
            body += "<p>Best: trial \(best), <a href=\"/runs/\(run)\">run \(run)</a>, \(HTML.escape(e.metric)) "
                + "\(HTML.number(e.bestMetric, digits: 4))</p>"
        }
        body += "<img class=\"curves\" src=\"/experiments/\(e.experiment)/curves.svg\" alt=\"each trial's \(HTML.escape(e.metric))\">"
        body += HTML.table(
            ["trial", "run", "state", "parameters", "best", "budget used", "rung passed", "why stopped"],
            trials.map { t in
                [String(t.trial), "<a href=\"/runs/\(t.run)\">\(t.run)</a>", HTML.state(t.state), "<code>\(HTML.escape(t.parameters))</code>",
                 HTML.number(t.bestMetric, digits: 4), "\(t.budgetUsed)/\(t.budgetFull)", t.rungPassed.map(String.init) ?? "-",
                 HTML.escape(t.stoppedReason ?? "")]
            }, numeric: [4])
        return HTML.page(title: "Experiment \(e.experiment)", body: body, refreshSeconds: e.state == "running" ? 15 : nil)
    }
}
