// Delta pulls, the server's side: a chain of published parameters that every worker following it
// holds bit for bit.
//
// A chain starts from an exact anchor (a snapshot of the server's arena, sent losslessly). Each
// publication sends the change between the server's arena and the published one in the run's
// pull codec (top-k: its largest entries), and adds the *decoded* change to the published arena,
// exactly as a worker does. What a publication leaves out stays in the difference and goes out
// with later ones: error feedback on the server, one residual shared by every worker. A worker
// pulls the publications since its last one and applies them in order (the same float additions
// in the same order: bit-identical to the server's published arena). A new chain (an exact
// resync) starts every `resyncEvery` publications, or once the chain's publications outweigh its
// anchor `outweighFactor` times (what a joining worker pulls, and the server's memory, stay
// bounded); a worker on an older chain, or a new one, pulls the anchor and the publications since.
//
// Shapes: wire arena [P + B] (parameters, then batch-norm running statistics).
import Engine
import Foundation
import NIOCore
import Wire

/// Not thread-safe: `PullAnswers` calls it under its lock.
final class PublishedParameters {
    let codec: any GradientCodec
    let resyncEvery: UInt64
    /// A chain whose publications outweigh its anchor this many times is restarted.
    static let outweighFactor = 4
    private(set) var anchorVersion: UInt64 = 0
    private var anchor = ByteBuffer()
    /// The published arena: the anchor plus every decoded publication of the chain.
    private(set) var published: [Float] = []
    private var publications: [(version: UInt64, bytes: ByteBuffer)] = []
    private var publicationBytes = 0
    private var started = false
    /// Publications made and chains started since this object was made (benchmarks, metrics).
    private(set) var publicationsMade = 0, chainsStarted = 0
    /// The last publication (or anchor): its version, when it was made, what it cost.
    private var last = PullEncoding(version: 0, at: .distantPast, cost: 0)

    init(codec: any GradientCodec, resyncEvery: UInt64) {
        self.codec = codec
        self.resyncEvery = max(1, resyncEvery)
    }

    /// The version of the chain's latest publication (its anchor's before the first).
    var latestVersion: UInt64 { publications.last?.version ?? anchorVersion }

    /// Brings the chain up to the server's version (a new chain when due; else one publication,
    /// unless the last one still serves: `PullEncoding.serves`), then answers a worker holding
    /// the chain's publication `sinceVersion` on the anchor of `heldAnchor`.
    func answer(sinceVersion: UInt64?, heldAnchor: UInt64, core: ParameterServerCore, reuseRecent: Bool) throws -> Params {
        let current = core.version
        let outweighsAnchor = started && publicationBytes > Self.outweighFactor * anchor.readableBytes
        if !started || UInt64(publications.count) >= resyncEvery || outweighsAnchor {
            try restart(core: core)
        } else if !last.serves(current: current, reuseRecent: reuseRecent) {
            try publish(core: core)
        }
        let onChain = heldAnchor == anchorVersion
        if let sinceVersion, onChain, sinceVersion >= anchorVersion {
            guard latestVersion > sinceVersion else {
                return Params(version: sinceVersion, encoding: .unchanged, payload: ByteBuffer())
            }
            return Params(version: latestVersion, encoding: .delta, anchorVersion: anchorVersion,
                          increments: publications.filter { $0.version > sinceVersion }.map(\.bytes))
        }
        return Params(version: latestVersion, encoding: .anchorAndDelta, anchorVersion: anchorVersion,
                      anchor: anchor, increments: publications.map(\.bytes))
    }

    /// A new chain from an exact snapshot: workers that pull it hold the server's arena bit for bit.
    private func restart(core: ParameterServerCore) throws {
        let began = Date()
        let (values, version) = core.wireSnapshot()
        anchor = ByteBuffer(bytes: try FP32ZstdCodec().encode(values, layout: [values.count]))
        anchorVersion = version
        published = values
        publications = []
        publicationBytes = 0
        started = true
        chainsStarted += 1
        last = PullEncoding(version: version, at: began, cost: Date().timeIntervalSince(began))
    }

    /// One publication: the change since the published arena, encoded, and added back decoded.
    private func publish(core: ParameterServerCore) throws {
        let began = Date()
        var (change, version) = core.wireSnapshot()
        change.withUnsafeMutableBufferPointer { now in
            published.withUnsafeBufferPointer { base in
                for i in 0..<now.count { now[i] -= base[i] }
            }
        }
        let bytes = try codec.encode(change, layout: core.wireLayout)
        try bytes.withUnsafeBytes { raw in
            try published.withUnsafeMutableBufferPointer { try codec.decode(raw, scaledBy: 1, addingTo: $0) }
        }
        publications.append((version, ByteBuffer(bytes: bytes)))
        publicationBytes += bytes.count
        publicationsMade += 1
        last = PullEncoding(version: version, at: began, cost: Date().timeIntervalSince(began))
    }
}
