/// The server side of one connection as a plain state machine: it decides, the async
/// connection code only carries out the returned action. Testable without sockets.
///
///     awaitingHello ──hello──▶ awaitingAuth ──auth ok──▶ authenticated ──bye──▶ closed
///            │                      │                        │
///            └─anything else──▶ closed (refused)  ◀─bad mac─┘   pull/push delivered
public struct ServerHandshake {
    public enum State: Equatable {
        case awaitingHello
        case awaitingAuth(Hello, nonce: [UInt8])
        case authenticated(Hello)
        case closed
    }

    /// What the connection must do next.
    public enum Action: Equatable {
        /// Send this reply and keep reading.
        case send(Message)
        /// Send this reply, then close; log the reason.
        case sendAndClose(Message, reason: String)
        /// The client proved the token: ask the delegate for a welcome (or a refusal).
        case admit(Hello)
        /// An authenticated request for the delegate, from the client that said this hello.
        case deliver(Message, client: Hello)
        /// Close without a reply; log the reason.
        case close(reason: String)
    }

    public private(set) var state: State = .awaitingHello
    private let token: SharedToken
    private let nonce: [UInt8]

    /// - Parameter nonce: this connection's challenge (injected so tests are deterministic).
    public init(token: SharedToken, nonce: [UInt8] = HandshakeAuth.makeNonce()) {
        self.token = token
        self.nonce = nonce
    }

    /// Whether pull and push may flow.
    public var isAuthenticated: Bool {
        if case .authenticated = state { return true }
        return false
    }

    /// Advances on one message from the client.
    public mutating func receive(_ message: Message) -> Action {
        switch (state, message) {
        case (.awaitingHello, .hello(let hello)):
            guard hello.protocolVersion == FrameFormat.version else {
                return refuse("client speaks protocol version \(hello.protocolVersion), server speaks \(FrameFormat.version)")
            }
            state = .awaitingAuth(hello, nonce: nonce)
            return .send(.challenge(nonce: nonce))
        case (.awaitingAuth(let hello, let nonce), .auth(let mac)):
            let expected = HandshakeAuth.mac(token: token, nonce: nonce, clientName: hello.clientName)
            guard HandshakeAuth.constantTimeEqual(mac, expected) else {
                return refuse("\(Self.authenticationFailure) for client '\(hello.clientName)': wrong token")
            }
            state = .authenticated(hello)
            return .admit(hello)
        case (.awaitingHello, _), (.awaitingAuth, _):
            return refuse("\(message.type) before authentication")
        case (.authenticated(let hello), .pull(let pull)):
            return runMatches(pull.runID, hello) ? .deliver(message, client: hello) : wrongRun(pull.runID, hello)
        case (.authenticated(let hello), .push(let push)):
            return runMatches(push.runID, hello) ? .deliver(message, client: hello) : wrongRun(push.runID, hello)
        case (.authenticated(let hello), .bye):
            state = .closed
            return .close(reason: "client '\(hello.clientName)' said bye")
        case (.authenticated, _):
            state = .closed
            let reason = "unexpected \(message.type) message after authentication"
            return .sendAndClose(.error(reason: reason), reason: reason)
        case (.closed, _):
            return .close(reason: "\(message.type) after the connection closed")
        }
    }

    /// How a refusal for a wrong token begins: the client tells it from other refusals by this
    /// (the wire's `refused` carries only text), since retrying with the same token cannot help.
    public static let authenticationFailure = "authentication failed"

    private mutating func refuse(_ reason: String) -> Action {
        state = .closed
        return .sendAndClose(.refused(reason: reason), reason: reason)
    }

    private func runMatches(_ run: UInt64, _ hello: Hello) -> Bool { run == hello.runID }

    private func wrongRun(_ run: UInt64, _ hello: Hello) -> Action {
        .send(.error(reason: "this connection is for run \(hello.runID), not run \(run)"))
    }
}
