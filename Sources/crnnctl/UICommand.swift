import ArgumentParser
import CommandLineSupport
import Foundation
import Inference
import Logging
import Store
import WebUI
import Wire

struct UICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui",
        abstract: "Serve the web pages: runs, a run's curves, workers, checkpoints and validation lines, and a form that reads an uploaded image.",
        discussion: """
            The pages read PostgreSQL only, so they run on any machine that reaches the database, \
            beside or apart from the coordinators. Loopback (127.0.0.1:8080) unless --listen says \
            otherwise; any other address needs the shared token (--token-file or CRNN_TOKEN), which \
            a browser presents once as ?token=... (then as a cookie) and scripts as \
            'Authorization: Bearer ...'. Uploads are limited to --max-upload MiB and decoded under \
            the image limits of predict (CRNN_MAX_IMAGE_PIXELS).
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: ArgumentHelp("Address to serve on (host:port; port 0 picks one).", valueName: "host:port"))
    var listen = "127.0.0.1:8080"

    @Option(help: ArgumentHelp("File holding the shared token (default: $CRNN_TOKEN; required off loopback).", valueName: "path"))
    var tokenFile: String?

    @Option(help: ArgumentHelp("Folder of shipped models the read form offers (default: the repository's models/, or $CRNN_MODELS).", valueName: "dir"))
    var models: String?

    @Option(help: ArgumentHelp("Largest upload the read form accepts, in MiB.", valueName: "MiB"))
    var maxUpload = 20

    func validate() throws {
        guard maxUpload >= 1 else { throw ValidationError("--max-upload must be at least 1 MiB") }
        guard address != nil else { throw ValidationError("--listen \(listen) is not host:port with a port from 0 to 65535") }
    }

    var address: (host: String, port: Int)? {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
              (0...65535).contains(port) else { return nil }
        let host = String(listen[..<colon])
        return host.isEmpty ? nil : (host, port)
    }

    func run() async throws {
        let (host, port) = address!
        let token: SharedToken?
        if tokenFile != nil || !(ProcessInfo.processInfo.environment["CRNN_TOKEN"] ?? "").isEmpty {
            token = try SharedToken.resolve(file: tokenFile)
        } else {
            token = nil
        }
        // Connects once first: a wrong URL or a database that cannot start is said now, not per page.
        let connection = try database.connect(applicationName: "crnnctl ui")
        _ = connection
        let configuration = UIConfiguration(
            host: host, port: port, token: token, databaseURL: try database.location.connectionURL(),
            modelsDirectory: models ?? ShippedModels.directory(), maximumUploadBytes: maxUpload << 20)
        do {
            try configuration.validate()
        } catch {
            throw ValidationError("\(error)")
        }
        var logger = Logger(label: "crnn.ui")
        logger.logLevel = .warning
        try await UIServer.run(configuration, logger: logger) { bound in
            print("crnnctl ui: serving http://\(host.contains(":") ? "[\(host)]" : host):\(bound)/\(token == nil ? "" : " (token required)")")
            fflush(stdout)
        }
    }
}
