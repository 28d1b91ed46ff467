/// What a worker's training session needs of the parameter server: the welcome it was given,
/// pulls, pushes and a goodbye. `PSClient` is the link over the network; `Coordinator`'s
/// `InProcessLink` answers from a `ParameterServerCore` in the same process, so the session's
/// real code runs in tests without sockets.
public protocol ParameterServerLink: AnyObject, Sendable {
    var welcome: Welcome { get }
    /// False once the server went away (the session then reconnects).
    var isConnected: Bool { get }
    /// The parameters, or `unchanged` when `sinceVersion` is current; with delta pulls, the
    /// change since the anchor of `anchorVersion` (or a new anchor and the change since it).
    func pull(sinceVersion: UInt64, anchorVersion: UInt64) async throws -> Params
    /// Pushes an encoded gradient computed on `baseVersion`; the ack says whether it was applied.
    func push(baseVersion: UInt64, sampleCount: UInt32, loss: Float, codecName: String,
              payload: [UInt8]) async throws -> Ack
    /// Ends the session.
    func bye() async
}

extension PSClient: ParameterServerLink {}
