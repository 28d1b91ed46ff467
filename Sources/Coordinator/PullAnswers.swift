// The answers to one run's pulls: the parameter server's arena, losslessly encoded, with the last
// encoding cached so that pulls of one version cost one compression.
import Foundation
import NIOCore
import Wire

/// Thread-safe: one encoding at a time; the others wait for it and find it cached.
public final class PullAnswers: @unchecked Sendable {
    public let core: ParameterServerCore
    private let encodeLock = NSLock()
    private var cached: (version: UInt64, bytes: [UInt8], at: Date, cost: Double)?

    /// A cached encoding of an older version is served while it is younger than `reuseFactor` ×
    /// what encoding it cost (see `parameters(reuseRecent:encode:)`).
    static let reuseFactor = 4.0

    public init(core: ParameterServerCore) { self.core = core }

    /// The wire arena, losslessly encoded by `encode`. With `reuseRecent`, a cached encoding of an
    /// older version is served while it is recent, so that with many workers, whose every pull
    /// finds a new version, the coordinator spends at most about 1 / (1 + reuseFactor) of a core
    /// compressing (the pull's version says how old it is).
    public func parameters(reuseRecent: Bool = false,
                           encode: ([Float]) throws -> [UInt8]) rethrows -> (version: UInt64, bytes: [UInt8]) {
        encodeLock.lock()
        defer { encodeLock.unlock() }
        let current = core.version
        if let cached {
            let recent = Date().timeIntervalSince(cached.at) < Self.reuseFactor * cached.cost
            if cached.version == current || (reuseRecent && recent) { return (cached.version, cached.bytes) }
        }
        let (snapshot, snapshotVersion) = core.withExclusiveModel { model, version in
            (model.parameters.values + model.buffers.values, version)
        }
        let started = Date()
        let bytes = try encode(snapshot)
        cached = (snapshotVersion, bytes, started, Date().timeIntervalSince(started))
        return (snapshotVersion, bytes)
    }

    /// The answer to a pull from a client holding `sinceVersion`: `unchanged` when it has what it
    /// would get, else the lossless arena (with `reuseRecent`, a recent encoding; by default in an
    /// asynchronous run only, since a synchronous run needs the step its workers wait for).
    /// - Throws: `ParameterServiceRefusal.versionFromTheFuture` when the client claims a version
    ///   this server has not reached: its parameters are not this server's, and "unchanged" would
    ///   leave it training on them.
    public func answer(sinceVersion: UInt64, reuseRecent: Bool? = nil) throws -> Params {
        let holds = sinceVersion != Pull.none
        // Versions only grow while a server lives; a new connection pulls whole (Pull.none).
        let reached = core.version
        if holds && sinceVersion > reached {
            throw ParameterServiceRefusal.versionFromTheFuture(asked: sinceVersion, current: reached)
        }
        if holds && sinceVersion == reached {
            return Params(version: sinceVersion, encoding: .unchanged, payload: ByteBuffer())
        }
        let (current, bytes) = try parameters(reuseRecent: reuseRecent ?? (core.mode == .asynchronous)) {
            try FP32ZstdCodec().encode($0, layout: [$0.count])
        }
        if holds && current <= sinceVersion {
            return Params(version: sinceVersion, encoding: .unchanged, payload: ByteBuffer())
        }
        return Params(version: current, encoding: .fp32Zstd, payload: ByteBuffer(bytes: bytes))
    }
}
