import ArgumentParser
import CommandLineSupport
import Foundation
import Logging
import Store
import Wire
import Worker

@main
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crnn-worker",
        abstract: "Claim shards, train on them, push gradients to the parameter server.",
        discussion: """
            Run one worker per machine. It registers in the database, claims shards of running \
            runs, renders their images itself, trains, and pushes compressed gradients to the \
            run's parameter server (authenticated with the shared token). SIGTERM or Ctrl-C \
            finishes the current step and gives the shard back.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var daemonOptions: DaemonOptions

    @Option(help: "Threads for training (default: every core).")
    var threads: Int?

    @Option(help: "Name shown in the workers table (default: host-pid).")
    var name: String?

    @Option(help: "Lease length in seconds (renewed by heartbeats every third of it).")
    var leaseSeconds: Double = 30

    @Option(help: "Seconds between progress lines.")
    var reportInterval: Double = 10

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if leaseSeconds < 3 { throw ValidationError("--lease-seconds must be at least 3") }
    }

    func run() async throws {
        OpenBLASTuning.reexecIfNeeded()
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let token = try SharedToken.resolve(file: daemonOptions.tokenFile)
        var settings = WorkerSettings(
            name: name, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount,
            token: token, database: database.location)
        settings.leaseSeconds = leaseSeconds
        settings.reportInterval = reportInterval
        settings.exitWhenIdleFor = daemonOptions.exitWhenIdle
        settings.fontDirectory = daemonOptions.fontDir
        settings.metricsAddress = daemonOptions.metrics
        // Refuse a newer schema before doing anything else.
        _ = try database.connect(applicationName: "crnn-worker")
        let stop = StopSignal()
        stop.installHandlers()
        try await WorkerDaemon(settings: settings, stop: stop).run()
    }
}
