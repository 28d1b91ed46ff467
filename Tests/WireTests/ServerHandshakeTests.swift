import Testing
@testable import Wire

@Suite struct ServerHandshakeTests {
    let token = try! SharedToken("s3cret")
    let nonce = Array(repeating: UInt8(7), count: 32)
    let hello = Hello(clientName: "w1", runID: 3)

    private func authenticated() -> ServerHandshake {
        var machine = ServerHandshake(token: token, nonce: nonce)
        _ = machine.receive(.hello(hello))
        _ = machine.receive(.auth(mac: HandshakeAuth.mac(token: token, nonce: nonce, clientName: "w1")))
        return machine
    }

    @Test func correctTokenIsAdmitted() {
        var machine = ServerHandshake(token: token, nonce: nonce)
        #expect(machine.receive(.hello(hello)) == .send(.challenge(nonce: nonce)))
        let mac = HandshakeAuth.mac(token: token, nonce: nonce, clientName: "w1")
        #expect(machine.receive(.auth(mac: mac)) == .admit(hello))
        #expect(machine.isAuthenticated)
        let pull = Message.pull(Pull(runID: 3, sinceVersion: 0))
        #expect(machine.receive(pull) == .deliver(pull, client: hello))
        #expect(machine.receive(.bye) == .close(reason: "client 'w1' said bye"))
    }

    @Test func wrongTokenIsRefused() throws {
        var machine = ServerHandshake(token: token, nonce: nonce)
        _ = machine.receive(.hello(hello))
        let wrong = HandshakeAuth.mac(token: try SharedToken("guess"), nonce: nonce, clientName: "w1")
        guard case .sendAndClose(.refused, _) = machine.receive(.auth(mac: wrong)) else {
            Issue.record("a wrong MAC must be refused"); return
        }
        #expect(machine.state == .closed)
        // A MAC for another client name does not pass either: the name is authenticated.
        var other = ServerHandshake(token: token, nonce: nonce)
        _ = other.receive(.hello(hello))
        let renamed = HandshakeAuth.mac(token: token, nonce: nonce, clientName: "w2")
        #expect(!isAdmit(other.receive(.auth(mac: renamed))))
    }

    @Test func requestsBeforeAuthenticationAreRefused() {
        for early: Message in [.pull(Pull(runID: 3)), .auth(mac: nonce), .bye] {
            var machine = ServerHandshake(token: token, nonce: nonce)
            guard case .sendAndClose(.refused(let reason), _) = machine.receive(early) else {
                Issue.record("\(early.type) before hello must be refused"); continue
            }
            #expect(reason.contains("before authentication"))
        }
        var machine = ServerHandshake(token: token, nonce: nonce)
        _ = machine.receive(.hello(hello))
        guard case .sendAndClose(.refused, _) = machine.receive(.pull(Pull(runID: 3))) else {
            Issue.record("pull before auth must be refused"); return
        }
    }

    @Test func versionMismatchIsRefused() {
        var machine = ServerHandshake(token: token, nonce: nonce)
        guard case .sendAndClose(.refused(let reason), _) = machine.receive(
            .hello(Hello(clientName: "w1", protocolVersion: 1, runID: 3))) else {
            Issue.record("version 1 (before delta pulls) must be refused"); return
        }
        #expect(reason.contains("version 1"))
    }

    @Test func wrongRunAndRepeatedHelloAreErrors() {
        var machine = authenticated()
        #expect(machine.receive(.pull(Pull(runID: 4))) == .send(.error(reason: "this connection is for run 3, not run 4")))
        #expect(machine.isAuthenticated)
        guard case .sendAndClose(.error, _) = machine.receive(.hello(hello)) else {
            Issue.record("a second hello must close"); return
        }
    }

    @Test func constantTimeEqualCompares() {
        #expect(HandshakeAuth.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!HandshakeAuth.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!HandshakeAuth.constantTimeEqual([1, 2, 3], [1, 2]))
    }

    @Test func tokensComeFromFileOrEnvironment() throws {
        #expect(throws: TokenError.missing) { try SharedToken.resolve(file: nil, environment: [:]) }
        #expect(throws: TokenError.empty(source: "CRNN_TOKEN")) {
            try SharedToken.resolve(file: nil, environment: ["CRNN_TOKEN": " \n"])
        }
        #expect(throws: TokenError.unreadable(path: "/nonexistent/token")) {
            try SharedToken.resolve(file: "/nonexistent/token")
        }
        let fromEnv = try SharedToken.resolve(file: nil, environment: ["CRNN_TOKEN": "abc\n"])
        #expect(fromEnv.bytes == Array("abc".utf8))
    }

    private func isAdmit(_ action: ServerHandshake.Action) -> Bool {
        if case .admit = action { return true }
        return false
    }
}
