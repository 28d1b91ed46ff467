// The pages' markup: every text that comes from the database, a file or a request goes through
// `escape`; the layout is one small style sheet, no script.
import Foundation
import HTTPTypes
import Hummingbird
import Plots

enum HTML {
    /// Text made safe for element content and double-quoted attribute values: the pages and
    /// the SVG charts escape alike (control characters become U+FFFD).
    static func escape(_ text: String) -> String { SVG.escape(text) }

    /// A whole page: title, navigation, `body` (already markup). `refreshSeconds` reloads it.
    static func page(title: String, body: String, refreshSeconds: Int? = nil) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        \(refreshSeconds.map { "<meta http-equiv=\"refresh\" content=\"\($0)\">" } ?? "")
        <title>\(escape(title)) · crnn-cluster</title>
        <style>
        body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 0 16px 40px; color: #222; }
        nav { padding: 12px 0; border-bottom: 1px solid #ddd; margin-bottom: 16px; }
        nav a { margin-right: 16px; font-weight: 600; }
        a { color: #1f5fa8; text-decoration: none; } a:hover { text-decoration: underline; }
        table { border-collapse: collapse; margin: 8px 0 20px; }
        th, td { padding: 4px 10px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
        th { background: #f6f6f6; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        .state { padding: 1px 6px; border-radius: 4px; background: #eee; }
        .state-running { background: #d7f0d7; } .state-failed { background: #f6d3d3; }
        .state-completed { background: #d6e6f7; } .state-paused, .state-queued { background: #f4ecd0; }
        .bar { display: inline-block; width: 120px; height: 10px; background: #eee; border-radius: 5px; vertical-align: middle; }
        .bar span { display: block; height: 10px; background: #4c9a4c; border-radius: 5px; }
        .gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 10px; }
        .line { border: 1px solid #ddd; border-radius: 6px; padding: 6px; }
        .line img { max-width: 100%; image-rendering: pixelated; background: #fff; }
        .right { color: #25702a; } .wrong { color: #b3261e; }
        pre { background: #f6f6f6; padding: 10px; overflow-x: auto; }
        .error { background: #fbe9e7; border: 1px solid #e0a39b; padding: 10px; border-radius: 6px; }
        .reading { font-size: 20px; padding: 8px 12px; background: #f0f6ff; border-radius: 6px; display: inline-block; }
        </style></head>
        <body><nav><a href="/">Runs</a><a href="/experiments">Experiments</a><a href="/read">Read an image</a></nav>
        \(body)
        </body></html>
        """
    }

    /// A table with a header row; cells are markup.
    static func table(_ header: [String], _ rows: [[String]], numeric: Set<Int> = []) -> String {
        var out = "<table><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>"
        for row in rows {
            out += "<tr>" + row.enumerated().map { numeric.contains($0.offset) ? "<td class=\"num\">\($0.element)</td>" : "<td>\($0.element)</td>" }.joined() + "</tr>"
        }
        return out + "</table>"
    }

    static func number(_ value: Double?, digits: Int) -> String {
        guard let value, value.isFinite else { return "–" }
        return String(format: "%.\(digits)f", value)
    }

    static func state(_ name: String) -> String {
        "<span class=\"state state-\(escape(name))\">\(escape(name))</span>"
    }

    static func progress(_ percent: Double?) -> String {
        let p = max(0, min(100, percent ?? 0))
        return "<span class=\"bar\"><span style=\"width: \(String(format: "%.1f", p))%\"></span></span> \(String(format: "%.1f", p)) %"
    }
}

/// A response with a body and a content type.
struct Page: ResponseGenerator {
    var status: HTTPResponse.Status = .ok
    var contentType = "text/html; charset=utf-8"
    var body: ByteBuffer
    var extraHeaders: HTTPFields = [:]

    init(html: String, status: HTTPResponse.Status = .ok) {
        self.status = status
        body = ByteBuffer(string: html)
    }

    init(bytes: [UInt8], contentType: String, headers: HTTPFields = [:]) {
        self.contentType = contentType
        body = ByteBuffer(bytes: bytes)
        extraHeaders = headers
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = extraHeaders
        headers[.contentType] = contentType
        // The pages never need to be framed or sniffed.
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        headers[.init("X-Frame-Options")!] = "DENY"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
    }
}
