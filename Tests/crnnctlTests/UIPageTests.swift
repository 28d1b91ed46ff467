import Foundation
import Store
import Testing
import TestSupport

/// `crnnctl ui` as a user sees it: the pages served against a real database, loaded in a real
/// headless browser (Chromium), an image uploaded through the form, a checkpoint downloaded, and
/// the token in front of everything when one is set.
@Suite(.serialized) struct UIPageTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// A database with one run (a hostile name), metrics, and the shipped digits model stored as
    /// its best checkpoint.
    func database() throws -> (url: String, checkpoint: [UInt8]) {
        let url = try TestDatabase.freshDatabaseURL()
        let demo = Self.root.appendingPathComponent("examples/demo.yaml").path
        let submit = try BuiltProducts.run("crnnctl", ["submit", demo, "--name", "<script>alert(1)</script>", "--db", url],
                                           environment: ["DATABASE_URL": ""])
        #expect(submit.status == 0, "\(submit.text)")
        let connection = try PostgresConnection(url: url)
        var samples: [MetricSample] = []
        for step in 1...10 {
            let at = Int64(step * 10)
            samples.append(MetricSample(run: 1, step: at, name: "train_loss", value: 3 / Double(step)))
            samples.append(MetricSample(run: 1, step: at, name: "val_accuracy", value: Double(step) / 10))
        }
        try MetricsStore(connection: connection).insert(samples)
        let bytes = Array(try Data(contentsOf: Self.root.appendingPathComponent("models/digits.crnn")))
        _ = try CheckpointStore(connection: connection).store(run: 1, step: 100, kind: .best, bytes: bytes,
                                                              metrics: ["val_accuracy": 0.9])
        return (url, bytes)
    }

    /// Starts `crnnctl ui` on a free loopback port; returns the process and its base URL.
    func serve(_ url: String, extra: [String] = [], environment: [String: String] = [:]) async throws -> (ChildProcess, String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("ui-\(UInt32.random(in: 0...UInt32.max)).log").path
        let ui = try ChildProcess([BuiltProducts.path("crnnctl"), "ui", "--db", url, "--listen", "127.0.0.1:0"] + extra,
                                  environment: ["DATABASE_URL": ""].merging(environment) { $1 }, logPath: log)
        var base: String?
        _ = await waitUntil(timeout: 60) {
            base = ui.log.split(separator: "\n").first { $0.contains("serving http://") }
                .flatMap { $0.split(separator: " ").first { $0.hasPrefix("http://") } }.map(String.init)
            return base != nil || !ui.isRunning
        }
        let found = try #require(base, "crnnctl ui did not start: \(ui.log)")
        return (ui, found)
    }

    /// The page's DOM after Chromium loaded and rendered it.
    func browse(_ address: String) throws -> String {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let output = try CommandRunner.run(["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                                            "--user-data-dir=\(profile)", "--dump-dom", address])
        #expect(output.status == 0, "\(output.text)")
        return output.text
    }

    func curl(_ arguments: [String]) throws -> CommandRunner.Output {
        try CommandRunner.run(["/usr/bin/curl", "-s", "--max-time", "60"] + arguments)
    }

    @Test func pagesShowTheRunItsCurvesCheckpointsAndReadingsEscaped() async throws {
        let (url, stored) = try database()
        let (ui, base) = try await serve(url)
        defer { ui.signal(SIGTERM) }

        let runs = try browse(base)
        #expect(runs.contains("<a href=\"/runs/1\">&lt;script&gt;alert(1)&lt;/script&gt;</a>"), "\(runs)")
        #expect(!runs.contains("<script>alert(1)"), "a run's name is text, never markup")
        #expect(runs.contains("queued"))

        let run = try browse(base + "runs/1")
        #expect(run.contains("Run 1: &lt;script&gt;"))
        #expect(run.contains("src=\"/runs/1/curves.svg\""))
        #expect(run.contains("href=\"/runs/1/checkpoints/1\""))
        #expect(run.contains("model: tiny"), "the configuration is shown")
        // The gallery: 12 of the run's validation lines, read by the stored (trained) model.
        let lines = run.components(separatedBy: "class=\"line\"").count - 1
        #expect(lines == 12, "\(run)")
        let right = run.components(separatedBy: "✔ right").count - 1
        #expect(right >= 9, "the shipped digits model reads most of the demo's lines: \(right) of 12")
        #expect(run.components(separatedBy: "data:image/png;base64,").count - 1 == 12)

        let svg = try curl([base + "runs/1/curves.svg"])
        #expect(svg.text.contains("<svg") && svg.text.contains("&lt;script&gt;") && svg.text.components(separatedBy: "<polyline").count == 3)
        // One point per recorded step in each curve (10 training losses, 10 validations).
        for series in svg.text.components(separatedBy: "<polyline").dropFirst() {
            let points = series.components(separatedBy: "points=\"")[1].split(separator: "\"")[0].split(separator: " ")
            #expect(points.count == 10, "\(series.prefix(200))")
        }

        let download = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UInt32.random(in: 0...UInt32.max)).crnn").path
        defer { try? FileManager.default.removeItem(atPath: download) }
        #expect(try curl(["-o", download, base + "runs/1/checkpoints/1"]).status == 0)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: download))) == stored, "the download is the stored checkpoint")

        let missing = try curl(["-o", "/dev/null", "-w", "%{http_code}", base + "runs/7"])
        #expect(missing.text == "404")
        let noCheckpoint = try curl(["-o", "/dev/null", "-w", "%{http_code}", base + "runs/1/checkpoints/99"])
        #expect(noCheckpoint.text == "404")
    }

    @Test func anExperimentPageShowsItsTrialsAndTheirCurvesTogether() async throws {
        let url = try TestDatabase.freshDatabaseURL()
        let search = Self.root.appendingPathComponent("examples/search-lr.yaml").path
        let submit = try BuiltProducts.run("crnnctl", ["submit", search, "--set", "search.trials=3", "--set", "search.max_concurrent=2",
                                                       "--name", "lr<b>", "--db", url], environment: ["DATABASE_URL": ""])
        #expect(submit.status == 0 && submit.text.contains("experiment 1 queued: asha, 3 trials"), "\(submit.text)")
        let connection = try PostgresConnection(url: url)
        var samples: [MetricSample] = []
        for run in Int64(1)...2 {
            for step in 1...5 { samples.append(MetricSample(run: run, step: Int64(step * 16), name: "val_loss", value: Double(run) / Double(step))) }
        }
        try MetricsStore(connection: connection).insert(samples)
        let (ui, base) = try await serve(url)
        defer { ui.signal(SIGTERM) }

        let list = try browse(base + "experiments")
        #expect(list.contains("<a href=\"/experiments/1\">lr&lt;b&gt;</a>") && list.contains("asha"), "\(list)")
        #expect(list.contains("3 (2 running, 0 waiting, 1 pending, 0 stopped, 0 completed)"))
        let page = try browse(base + "experiments/1")
        #expect(page.contains("Experiment 1: lr&lt;b&gt;") && page.contains("src=\"/experiments/1/curves.svg\""))
        #expect(page.contains("Best: trial 1") && page.contains("href=\"/runs/3\""), "every trial links its run")
        #expect(page.contains("pending") && page.contains("optimizer.lr"))
        let svg = try curl([base + "experiments/1/curves.svg"])
        #expect(svg.text.hasPrefix("<?xml") || svg.text.contains("<svg"), "\(svg.text)")
        #expect(svg.text.components(separatedBy: "<polyline").count - 1 == 2, "one line per trial with values")
        #expect(svg.text.contains("trial 1 {") && svg.text.contains("val_loss"))
        #expect(try curl(["-o", "/dev/null", "-w", "%{http_code}", base + "experiments/9"]).text == "404")
    }

    @Test func theReadFormReadsAnUploadAndRefusesWhatIsNoImage() async throws {
        let (url, _) = try database()
        let (ui, base) = try await serve(url, environment: ["CRNN_MODELS": Self.root.appendingPathComponent("models").path])
        defer { ui.signal(SIGTERM) }
        let form = try browse(base + "read")
        #expect(form.contains("<option value=\"model:digits\">") && form.contains("<option value=\"run:1\">"), "\(form)")

        let labels = try String(contentsOf: Self.root.appendingPathComponent("data/foreign/digits/labels.tsv"), encoding: .utf8)
        let first = labels.split(separator: "\n")[0].split(separator: "\t")
        let image = Self.root.appendingPathComponent("data/foreign/digits/\(first[0])").path
        for model in ["model:digits", "run:1"] {
            let read = try curl(["-F", "model=\(model)", "-F", "image=@\(image)", base + "read"])
            #expect(read.text.contains("<p class=\"reading\">\(first[1])</p>"), "\(model): \(read.text)")
        }
        let notAnImage = try curl(["-w", "%{http_code}", "-F", "model=model:digits", "-F", "image=@\(Self.root.appendingPathComponent("README.md").path)", base + "read"])
        #expect(notAnImage.text.contains("class=\"error\">README.md: not a PNG or JPEG image"), "\(notAnImage.text)")
        #expect(notAnImage.text.hasSuffix("400"))
        // A 65 KB PNG that declares 100000 x 100000 pixels: refused before any allocation.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ui-upload-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let bomb = folder.appendingPathComponent("bomb.png").path
        try Data(HostileFiles.pngDeclaring(width: 100_000, height: 100_000, dataBytes: 65_000)).write(to: URL(fileURLWithPath: bomb))
        let refused = try curl(["-w", "%{http_code}", "-F", "model=model:digits", "-F", "image=@\(bomb)", base + "read"])
        #expect(refused.text.hasSuffix("400") && refused.text.contains("bomb.png") && refused.text.contains("pixels"), "\(refused.text)")
        // 21 MB: over the 20 MiB default.
        let large = folder.appendingPathComponent("large.png").path
        try Data(count: 21_000_000).write(to: URL(fileURLWithPath: large))
        let tooLarge = try curl(["-w", "%{http_code}", "-F", "model=model:digits", "-F", "image=@\(large)", base + "read"])
        #expect(tooLarge.text.hasSuffix("413") && tooLarge.text.contains("larger than 20 MiB"), "\(tooLarge.text.suffix(300))")
        let escape = try curl(["-F", "model=model:../models/digits", "-F", "image=@\(image)", base + "read"])
        #expect(escape.text.contains("no shipped model named ../models/digits"))
        let notMultipart = try curl(["--data", "model=model:digits", base + "read"])
        #expect(notMultipart.text.contains("the form must be sent as multipart/form-data"))
        #expect(ui.isRunning, "no upload takes the server down")
    }

    @Test func aTokenGuardsEveryPageAndNonLoopbackNeedsOne() async throws {
        let (url, _) = try database()
        let tokenFile = FileManager.default.temporaryDirectory.appendingPathComponent("ui-token-\(UInt32.random(in: 0...UInt32.max))").path
        FileManager.default.createFile(atPath: tokenFile, contents: Data("s3cret-token\n".utf8), attributes: [.posixPermissions: 0o600])
        defer { try? FileManager.default.removeItem(atPath: tokenFile) }
        let (ui, base) = try await serve(url, extra: ["--token-file", tokenFile])
        defer { ui.signal(SIGTERM) }
        for path in ["", "runs/1", "runs/1/curves.svg", "runs/1/checkpoints/1", "read"] {
            #expect(try curl(["-o", "/dev/null", "-w", "%{http_code}", base + path]).text == "401", "\(path)")
            #expect(try curl(["-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer wrong", base + path]).text == "401")
            #expect(try curl(["-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer s3cret-token", base + path]).text == "200", "\(path)")
        }
        let login = try curl(["-D", "-", "-o", "/dev/null", base + "runs/1?token=s3cret-token"])
        #expect(login.text.contains("303") && login.text.lowercased().contains("set-cookie: crnn_token=s3cret-token; path=/; httponly; samesite=strict"), "\(login.text)")
        #expect(try curl(["-o", "/dev/null", "-w", "%{http_code}", "-b", "crnn_token=s3cret-token", base + "runs/1"]).text == "200")

        let open = try BuiltProducts.run("crnnctl", ["ui", "--db", url, "--listen", "0.0.0.0:0"], environment: ["DATABASE_URL": "", "CRNN_TOKEN": ""])
        #expect(open.status != 0 && open.text.contains("not a loopback address"), "\(open.text)")
    }
}
