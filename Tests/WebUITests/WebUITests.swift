import HTTPTypes
import Hummingbird
import Testing
@testable import WebUI

@Suite struct WebUITests {
    @Test func escapingCoversMarkupAndAttributes() {
        #expect(HTML.escape("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
        #expect(HTML.escape("读 ok") == "读 ok")
    }

    @Test func aTokenIsReadFromTheHeaderOrTheCookie() {
        var headers = HTTPFields()
        #expect(AccessToken<BasicRequestContext>.presented(in: headers) == nil)
        headers[.cookie] = "a=1; crnn_token=abc; b=2"
        #expect(AccessToken<BasicRequestContext>.presented(in: headers) == "abc")
        headers[.authorization] = "Bearer xyz"
        #expect(AccessToken<BasicRequestContext>.presented(in: headers) == "xyz")
    }

    @Test func theMultipartBoundaryIsFoundOrRefused() {
        #expect(ReadPage.boundary(of: "multipart/form-data; boundary=----abc") == "----abc")
        #expect(ReadPage.boundary(of: "multipart/form-data; charset=utf-8; boundary=\"q\"") == "q")
        #expect(ReadPage.boundary(of: "application/x-www-form-urlencoded") == nil)
        #expect(ReadPage.boundary(of: "multipart/form-data") == nil)
    }

    @Test func onlyLoopbackServesWithoutAToken() {
        for host in ["127.0.0.1", "localhost", "::1", "127.0.0.2"] {
            #expect(throws: Never.self) { try UIConfiguration(host: host, databaseURL: "", modelsDirectory: nil).validate() }
        }
        for host in ["0.0.0.0", "10.1.2.3", "::", "example.org"] {
            #expect(throws: UIError.tokenRequired(host: host)) { try UIConfiguration(host: host, databaseURL: "", modelsDirectory: nil).validate() }
        }
    }
}

@Suite struct RunPageTests {
    @Test func checkpointFiguresAreShortAndSorted() {
        #expect(RunPage.figures("{\"val_loss\": 0.3197256209850311, \"val_accuracy\": 0.54}") == "val_accuracy 0.54, val_loss 0.3197")
        #expect(RunPage.figures("not json") == "not json")
    }
}
