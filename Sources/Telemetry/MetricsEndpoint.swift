// `--metrics HOST:PORT`: a daemon's Prometheus metrics at /metrics, in the text exposition
// format. Loopback needs nothing; any other address needs the cluster's shared token as
// `Authorization: Bearer …` (Prometheus: `authorization: {credentials_file: …}`).
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import Wire

public enum MetricsEndpoint {
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case badAddress(String)

        public var description: String {
            switch self {
            case .badAddress(let text): return "--metrics \(text) is not host:port with a port from 0 to 65535"
            }
        }
    }

    /// `HOST:PORT`, or `:PORT` for loopback.
    public static func parse(_ text: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65535).contains(port) else { throw Failure.badAddress(text) }
        let host = String(text[..<colon])
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// Serves `registry` on `address` (`--metrics`) in a task that logs where, or why it could
    /// not; nil when no address was given.
    /// - Throws: `Failure.badAddress`.
    public static func start(_ registry: PrometheusCollectorRegistry, address: String?, token: SharedToken,
                             logger: Logger) throws -> Task<Void, Error>? {
        guard let address else { return nil }
        let (host, port) = try parse(address)
        return Task {
            do {
                try await serve(registry, host: host, port: port, token: token, logger: logger) { bound in
                    logger.info("metrics for Prometheus at http://\(host):\(bound)/metrics\(isLoopback(host) ? "" : " (token required)")")
                }
            } catch is CancellationError {
            } catch {
                logger.error("metrics endpoint \(host):\(port): \(error)")
            }
        }
    }

    /// Serves `registry` until the task is cancelled. `token` is asked for only off loopback.
    public static func serve(_ registry: PrometheusCollectorRegistry, host: String, port: Int, token: SharedToken,
                             logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let router = Router()
        let guarded = !isLoopback(host)
        router.get("/metrics") { request, _ -> Response in
            if guarded {
                guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
                      token.matches(String(header.dropFirst(7))) else {
                    var headers = HTTPFields()
                    headers[.wwwAuthenticate] = "Bearer"
                    return Response(status: .unauthorized, headers: headers)
                }
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers,
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        var quiet = logger
        quiet.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port)),
                              onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) }, logger: quiet)
        try await app.run()
    }
}
