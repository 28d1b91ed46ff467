import ArgumentParser
import CommandLineSupport
import Coordinator
import Foundation
import Logging
import Store
import Training
import Wire

@main
struct CoordinatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crnn-coordinator",
        abstract: "Schedule runs and serve the parameter server.",
        discussion: """
            Takes queued runs by priority (and resumes running ones from their latest checkpoint \
            after a restart), serves their parameters and applies workers' gradients as they \
            arrive, validates every N updates, stores checkpoints and metrics in PostgreSQL, and \
            completes a run when every shard is done. Listens on 127.0.0.1 unless --listen says \
            otherwise; workers authenticate with the shared token. A connection's frames are at \
            most 4 KiB before it authenticates (within 10 s) and 256 MiB after; a frame must \
            arrive whole within 120 s of waiting for the peer or that connection is closed (time \
            between frames is not limited). Migrates the database on start \
            and refuses a schema newer than it knows.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var daemonOptions: DaemonOptions

    @Option(help: ArgumentHelp("Address the parameter server listens on (host:port; port 0 picks one).",
                               valueName: "host:port"))
    var listen = "127.0.0.1:7070"

    @Option(help: ArgumentHelp("Address workers should connect to, if not the listen address.", valueName: "host:port"))
    var advertise: String?

    @Option(help: ArgumentHelp("Split every run's parameters into N key ranges, each served by its own parameter server (socket and optimiser thread; shard s listens on the --listen port + s, or any free port with port 0). Workers push and pull every range in parallel.",
                               valueName: "N"))
    var psShards: Int = 1

    @Option(help: "Threads for validation.")
    var threads: Int = 1

    @Option(help: "Runs trained at once (paused runs, such as trials waiting at an ASHA rung, stay in memory without counting).")
    var maxRuns: Int = 4

    func validate() throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
              (0...65535).contains(port), colon != listen.startIndex else {
            throw ValidationError("--listen must be host:port, e.g. 127.0.0.1:7070 or 0.0.0.0:7070")
        }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if maxRuns < 1 { throw ValidationError("--max-runs must be at least 1") }
        guard (1...ArenaRanges.maximumShards).contains(psShards) else {
            throw ValidationError("--ps-shards must be 1…\(ArenaRanges.maximumShards), got \(psShards)")
        }
        if psShards > 1, port + psShards - 1 > 65535 {
            throw ValidationError("--listen port \(port) + \(psShards - 1) shards runs past port 65535")
        }
    }

    func run() async throws {
        OpenBLASTuning.reexecIfNeeded()
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let colon = listen.lastIndex(of: ":")!
        var settings = CoordinatorSettings(database: database.location, token: try SharedToken.resolve(file: daemonOptions.tokenFile))
        settings.listenHost = String(listen[..<colon])
        settings.listenPort = Int(listen[listen.index(after: colon)...])!
        settings.advertise = advertise
        settings.threads = threads
        settings.maximumRuns = maxRuns
        settings.parameterServerShards = psShards
        settings.exitWhenIdleFor = daemonOptions.exitWhenIdle
        settings.fontDirectory = daemonOptions.fontDir
        settings.metricsAddress = daemonOptions.metrics
        _ = try database.connect(applicationName: "crnn-coordinator")
        let daemon = CoordinatorDaemon(settings: settings)
        let stop = StopSignal()
        stop.installHandlers { _ in daemon.requestStop() }
        defer { _ = stop }
        try await daemon.run()
    }
}
