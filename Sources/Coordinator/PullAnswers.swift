// The answers to one run's pulls. Exact runs send the whole arena losslessly, the last encoding
// cached so that pulls of one version cost one compression. Runs with delta pulls answer from a
// chain of published parameters (`PublishedParameters`): an exact anchor, then publications of
// the change in the run's pull codec that every worker applies in the same order.
//
// Shapes: wire arena [P + B] (parameters, then batch-norm running statistics).
import Engine
import Foundation
import NIOCore
import Store
import Training
import Wire

/// How a run's pulls are answered.
public enum PullPolicy: Sendable {
    case exact
    /// Publications in `codec` on a chain from an exact anchor; a new chain (an exact resync)
    /// every `resyncEvery` publications. A worker reconnects with a fresh session (no anchor),
    /// so chains of a server that restarted are never mixed.
    case delta(codec: any GradientCodec, resyncEvery: UInt64)

    /// The pull codec's name for the welcome (empty: exact).
    public var codecName: String {
        if case .delta(let codec, _) = self { return codec.name }
        return ""
    }
}

/// When an encoding of the parameters (an exact arena, a publication, an anchor) was made, of
/// which version, and what it cost.
struct PullEncoding {
    var version: UInt64
    var at: Date
    var cost: Double

    /// Whether it still answers pulls: it is of the current version, or (with `reuseRecent`)
    /// younger than `PullAnswers.reuseFactor` × what it cost.
    func serves(current: UInt64, reuseRecent: Bool) -> Bool {
        version == current || (reuseRecent && Date().timeIntervalSince(at) < PullAnswers.reuseFactor * cost)
    }
}

extension RunRecipe {
    /// The run config's `pulls` section as the parameter server answers it.
    public func makePullPolicy() throws -> PullPolicy {
        guard let codec = try makePullCodec() else { return .exact }
        return .delta(codec: codec, resyncEvery: UInt64(config.pulls?.resyncEvery ?? RunConfig.Pulls.defaultResyncEvery))
    }
}

/// Thread-safe: one encoding at a time; the others wait for it and find it cached.
public final class PullAnswers: @unchecked Sendable {
    public let core: ParameterServerCore
    public let policy: PullPolicy
    private let encodeLock = NSLock()
    private var cached: (encoding: PullEncoding, bytes: [UInt8])?
    /// Delta pulls: the chain of published parameters.
    private let published: PublishedParameters?

    /// A cached encoding of an older version is served while it is younger than `reuseFactor` ×
    /// what encoding it cost (see `parameters(reuseRecent:encode:)`).
    static let reuseFactor = 4.0

    public init(core: ParameterServerCore, policy: PullPolicy = .exact) {
        self.core = core
        self.policy = policy
        if case .delta(let codec, let resyncEvery) = policy {
            published = PublishedParameters(codec: codec, resyncEvery: resyncEvery)
        } else {
            published = nil
        }
    }

    /// The wire arena, losslessly encoded by `encode`. With `reuseRecent`, a cached encoding of an
    /// older version is served while it is recent, so that with many workers, whose every pull
    /// finds a new version, the coordinator spends at most about 1 / (1 + reuseFactor) of a core
    /// compressing (the pull's version says how old it is).
    public func parameters(reuseRecent: Bool = false,
                           encode: ([Float]) throws -> [UInt8]) rethrows -> (version: UInt64, bytes: [UInt8]) {
        encodeLock.lock()
        defer { encodeLock.unlock() }
        if let cached, cached.encoding.serves(current: core.version, reuseRecent: reuseRecent) {
            return (cached.encoding.version, cached.bytes)
        }
        let (snapshot, snapshotVersion) = core.wireSnapshot()
        let started = Date()
        let bytes = try encode(snapshot)
        cached = (PullEncoding(version: snapshotVersion, at: started, cost: Date().timeIntervalSince(started)), bytes)
        return (snapshotVersion, bytes)
    }

    /// The answer to a pull from a client holding `sinceVersion` (and, with delta pulls, the
    /// anchor of `anchorVersion`): `unchanged` when it has what it would get, else the lossless
    /// arena, or the change since the client's anchor, or a new anchor and the change since it.
    /// With `reuseRecent` (by default in an asynchronous run only, since a synchronous run needs
    /// the step its workers wait for) a recent encoding of an older version may answer.
    /// - Throws: `ParameterServiceRefusal.versionFromTheFuture` when the client claims a version
    ///   (or an anchor) this server has not reached: its parameters are not this server's, and
    ///   "unchanged" would leave it training on them.
    public func answer(sinceVersion: UInt64, anchorVersion: UInt64 = Pull.none, reuseRecent: Bool? = nil) throws -> Params {
        let holds = sinceVersion != Pull.none
        // Versions only grow while a server lives; a new connection pulls whole (Pull.none).
        let reached = core.version
        if holds && sinceVersion > reached {
            throw ParameterServiceRefusal.versionFromTheFuture(asked: sinceVersion, current: reached)
        }
        if anchorVersion != Pull.none && anchorVersion > reached {
            throw ParameterServiceRefusal.versionFromTheFuture(asked: anchorVersion, current: reached)
        }
        if holds && sinceVersion == reached {
            return Params(version: sinceVersion, encoding: .unchanged, payload: ByteBuffer())
        }
        let reuse = reuseRecent ?? (core.mode == .asynchronous)
        if let published {
            return try encodeLock.withLock {
                try published.answer(sinceVersion: holds ? sinceVersion : nil, heldAnchor: anchorVersion, core: core,
                                     reuseRecent: reuse)
            }
        }
        let (current, bytes) = try parameters(reuseRecent: reuse) {
            try FP32ZstdCodec().encode($0, layout: [$0.count])
        }
        if holds && current <= sinceVersion {
            return Params(version: sinceVersion, encoding: .unchanged, payload: ByteBuffer())
        }
        return Params(version: current, encoding: .fp32Zstd, payload: ByteBuffer(bytes: bytes))
    }

    /// Delta pulls: publications made and chains (exact resyncs) started so far.
    public var publicationCounts: (publications: Int, chains: Int) {
        encodeLock.withLock { (published?.publicationsMade ?? 0, published?.chainsStarted ?? 0) }
    }

    /// Delta pulls: the current chain's anchor version and latest publication (nil before the
    /// first pull), and a copy of the published arena; for tests.
    public var publication: (anchorVersion: UInt64, version: UInt64, values: [Float])? {
        encodeLock.withLock {
            guard let published, !published.published.isEmpty else { return nil }
            return (published.anchorVersion, published.latestVersion, published.published)
        }
    }
}
