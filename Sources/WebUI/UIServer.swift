// `crnnctl ui`: the web pages, a Hummingbird application reading PostgreSQL. Loopback unless
// told otherwise; anywhere else only with the shared token.
import Foundation
import Hummingbird
import Logging
import NIOCore
import Plots
import Store
import Wire

public struct UIConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var token: SharedToken?
    public var databaseURL: String
    /// Where shipped models are (`models/`); nil: none offered.
    public var modelsDirectory: String?
    /// Largest upload the read form takes.
    public var maximumUploadBytes: Int

    public static let defaultMaximumUploadBytes = 20 << 20

    public init(host: String = "127.0.0.1", port: Int = 8080, token: SharedToken? = nil, databaseURL: String,
                modelsDirectory: String?, maximumUploadBytes: Int = UIConfiguration.defaultMaximumUploadBytes) {
        self.host = host
        self.port = port
        self.token = token
        self.databaseURL = databaseURL
        self.modelsDirectory = modelsDirectory
        self.maximumUploadBytes = maximumUploadBytes
    }

    /// Whether `host` is reachable only from this machine.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// - Throws: `UIError.tokenRequired` for a non-loopback address without a token.
    public func validate() throws {
        if !Self.isLoopback(host) && token == nil { throw UIError.tokenRequired(host: host) }
    }
}

public enum UIError: Error, CustomStringConvertible, Equatable {
    case tokenRequired(host: String)

    public var description: String {
        switch self {
        case .tokenRequired(let host):
            return "--listen \(host) is not a loopback address: pages there need the shared token (--token-file or CRNN_TOKEN)"
        }
    }
}

public enum UIServer {
    /// Serves until the process is interrupted (SIGINT/SIGTERM). `onListening` gets the bound
    /// port (useful with port 0).
    public static func run(_ configuration: UIConfiguration, logger: Logger,
                           onListening: @escaping @Sendable (Int) -> Void) async throws {
        try configuration.validate()
        let services = UIServices(databaseURL: configuration.databaseURL, modelsDirectory: configuration.modelsDirectory)
        let router = makeRouter(configuration, services: services)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "crnn-cluster"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
        try await app.runService()
    }

    static func makeRouter(_ configuration: UIConfiguration, services: UIServices) -> Router<BasicRequestContext> {
        let router = Router()
        if let token = configuration.token { router.add(middleware: AccessToken(token: token)) }

        router.get("/") { _, _ in
            await page { try RunsPage.html(try await services.database { try RunStore(connection: $0).list() }) }
        }
        router.get("/runs/:run") { _, context in
            await page {
                let run = try runID(context)
                let (detail, workers, checkpoints) = try await services.database { connection in
                    (try RunStore(connection: connection).detail(run: run),
                     try WorkerRegistry(connection: connection).workers(run: run),
                     try CheckpointStore(connection: connection).list(run: run))
                }
                var gallery: [GalleryLine]?
                var galleryError: String?
                do {
                    gallery = try await Gallery.make(run: run, services: services)?.lines
                } catch {
                    galleryError = "the validation lines could not be read: \(error)"
                }
                return RunPage.html(.init(detail: detail, workers: workers, checkpoints: checkpoints,
                                          gallery: gallery, galleryError: galleryError))
            }
        }
        router.get("/runs/:run/curves.svg") { _, context in
            do {
                let run = try runID(context)
                let svg = try await services.database { connection -> String in
                    let detail = try RunStore(connection: connection).detail(run: run)
                    let points = try MetricsStore(connection: connection).series(run: run).map {
                        RunCurves.Point(name: $0.name, step: $0.step, value: $0.value, fromWorker: $0.worker != nil)
                    }
                    return SVG.document(title: "run \(run) (\(detail.summary.name)): \(detail.summary.state.rawValue)",
                                        charts: RunCurves.charts(points))
                }
                return Page(bytes: Array(svg.utf8), contentType: "image/svg+xml")
            } catch {
                return errorPage(error)
            }
        }
        router.get("/experiments") { _, _ in
            await page { ExperimentPage.list(try await services.database { try ExperimentStore(connection: $0).summaries() }) }
        }
        router.get("/experiments/:experiment") { _, context in
            await page {
                let id = try experimentID(context)
                let (summary, trials) = try await services.database { connection in
                    let store = ExperimentStore(connection: connection)
                    return (try store.summaries(id).first, try store.trials(id))
                }
                guard let summary else { throw NotFound("there is no experiment \(id)") }
                return ExperimentPage.html(summary, trials: trials)
            }
        }
        router.get("/experiments/:experiment/curves.svg") { _, context in
            do {
                let id = try experimentID(context)
                let svg = try await services.database { connection -> String in
                    let store = ExperimentStore(connection: connection)
                    guard let summary = try store.summaries(id).first else { throw NotFound("there is no experiment \(id)") }
                    let metrics = MetricsStore(connection: connection)
                    let trials = try store.trials(id).map { trial in
                        TrialCurves.Trial(label: "trial \(trial.trial) \(trial.parameters)",
                                          points: try metrics.series(run: trial.run).filter { $0.name == summary.metric && $0.worker == nil }
                                              .map { ($0.step, $0.value) })
                    }
                    return SVG.document(title: "experiment \(id) (\(summary.name)): \(summary.state)",
                                        charts: [TrialCurves.chart(metric: summary.metric, trials: trials)])
                }
                return Page(bytes: Array(svg.utf8), contentType: "image/svg+xml")
            } catch {
                return errorPage(error)
            }
        }
        router.get("/runs/:run/checkpoints/:checkpoint") { _, context in
            do {
                let run = try runID(context)
                guard let id = context.parameters.get("checkpoint", as: Int64.self) else { throw NotFound("no such checkpoint") }
                let bytes = try await services.database { connection -> [UInt8] in
                    let store = CheckpointStore(connection: connection)
                    guard let record = try store.list(run: run).first(where: { $0.id == id }) else {
                        throw NotFound("run \(run) has no checkpoint \(id)")
                    }
                    return try store.fetch(record)
                }
                var headers = HTTPFields()
                headers[.contentDisposition] = "attachment; filename=\"run\(run)-checkpoint\(id).crnn\""
                return Page(bytes: bytes, contentType: "application/octet-stream", headers: headers)
            } catch {
                return errorPage(error)
            }
        }
        router.get("/read") { _, _ in
            await page { ReadPage.html(choices: try await ReadPage.choices(services: services)) }
        }
        router.post("/read") { request, _ in
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: configuration.maximumUploadBytes)
            } catch {
                let limit = configuration.maximumUploadBytes >> 20
                var answer = await page {
                    ReadPage.html(choices: try await ReadPage.choices(services: services),
                                  result: ReadPage.errorBox("the upload is larger than \(limit) MiB (crnnctl ui --max-upload)"))
                }
                answer.status = .contentTooLarge
                return answer
            }
            let (result, selected, status) = await ReadPage.read(body: body, contentType: request.headers[.contentType], services: services)
            var answer = await page {
                ReadPage.html(choices: try await ReadPage.choices(services: services), selected: selected, result: result)
            }
            if answer.status == .ok { answer.status = status }
            return answer
        }
        return router
    }

    static func runID(_ context: BasicRequestContext) throws -> Int64 {
        guard let run = context.parameters.get("run", as: Int64.self) else { throw NotFound("no such run") }
        return run
    }

    static func experimentID(_ context: BasicRequestContext) throws -> Int64 {
        guard let id = context.parameters.get("experiment", as: Int64.self) else { throw NotFound("no such experiment") }
        return id
    }

    /// A page, or an error page that says what went wrong (never a crash, never a stack trace).
    static func page(_ make: () async throws -> String) async -> Page {
        do { return Page(html: try await make()) } catch { return errorPage(error) }
    }

    static func errorPage(_ error: Error) -> Page {
        let status: HTTPResponse.Status
        switch error {
        case is NotFound: status = .notFound
        case RunStore.Failure.noSuchRun: status = .notFound
        case CheckpointStore.Failure.notFound: status = .notFound
        case ExperimentStore.Failure.noSuchExperiment: status = .notFound
        default: status = .internalServerError
        }
        return Page(html: HTML.page(title: "Error", body: "<h1>\(status.code) \(HTML.escape(status.reasonPhrase))</h1>"
                                        + "<p class=\"error\">\(HTML.escape("\(error)"))</p>"), status: status)
    }

    struct NotFound: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
