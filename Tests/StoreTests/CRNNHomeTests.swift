import Testing
@testable import Store

@Suite struct CRNNHomeTests {
    @Test func environmentWins() {
        #expect(CRNNHome.fromEnvironment(["CRNN_HOME": "/tmp/x/../y"]).path == "/tmp/y")
    }

    @Test func defaultsToDotCRNN() {
        #expect(CRNNHome.fromEnvironment([:]).path.hasSuffix("/.crnn"))
    }
}
