// The shared token in front of every page when one is set (always, on a non-loopback address):
// `Authorization: Bearer TOKEN`, the `crnn_token` cookie, or `?token=TOKEN` once, which sets
// the cookie (HttpOnly, SameSite=Strict) and redirects to the page without it.
import Foundation
import HTTPTypes
import Hummingbird
import Wire

struct AccessToken<Context: RequestContext>: RouterMiddleware {
    let token: SharedToken

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let query = request.uri.queryParameters.get("token") {
            guard token.matches(query) else { return Self.refusal(wrong: true) }
            var headers = HTTPFields()
            headers[.location] = request.uri.path
            headers[.setCookie] = "crnn_token=\(query); Path=/; HttpOnly; SameSite=Strict"
            return Response(status: .seeOther, headers: headers)
        }
        if let presented = Self.presented(in: request.headers), token.matches(presented) {
            return try await next(request, context)
        }
        return Self.refusal(wrong: Self.presented(in: request.headers) != nil)
    }

    /// The token from the Authorization header or the cookie.
    static func presented(in headers: HTTPFields) -> String? {
        if let authorization = headers[.authorization], authorization.hasPrefix("Bearer ") {
            return String(authorization.dropFirst(7))
        }
        for cookies in headers[values: .cookie] {
            for cookie in cookies.split(separator: ";") {
                let pair = cookie.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if pair.count == 2, pair[0] == "crnn_token" { return pair[1] }
            }
        }
        return nil
    }

    static func refusal(wrong: Bool) -> Response {
        let body = HTML.page(title: "Token needed", body: """
            <h1>Token needed</h1>
            <p>\(wrong ? "That token is not this cluster's." : "These pages need the cluster's shared token.")</p>
            <form method="get"><label>Token: <input type="password" name="token" autocomplete="off"></label>
            <button type="submit">Open</button></form>
            """)
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.wwwAuthenticate] = "Bearer"
        return Response(status: .unauthorized, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
