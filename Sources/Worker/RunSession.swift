// One run as this worker trains it: the model (a replica of the parameter server's), the data
// source, the codec with its error-feedback residual, and the connection to the server.
//
// Shapes: wire arena [P + B] = parameters (or their gradient) followed by the BN running
// statistics (or the change this worker's forwards made to them); images [batch, H, W].
import Engine
import Foundation
import Logging
import NIOPosix
import Store
import TextImages
import Training
import Wire

/// Not thread-safe: one task drives a session. Its CPU work (forward, backward, encoding,
/// decoding pulls) runs on its own training thread, never on Swift's cooperative threads: on a
/// two-core machine two sessions would otherwise hold every cooperative thread for the length of
/// a minibatch, and an in-process parameter server could not answer anyone meanwhile.
///
/// A run whose parameters are split into key ranges (sharded parameter servers) has one link per
/// shard: each step pushes every shard its range of the gradient and pulls from every shard, in
/// parallel; each shard has its own version, delta chain and error-feedback residual.
public final class RunSession: @unchecked Sendable {
    let recipe: RunRecipe
    let model: CRNNModel
    let source: SyntheticSource
    let codec: any GradientCodec
    /// One per shard, in shard order (one: the whole arena).
    let shards: [ShardReplica]
    /// Running statistics as of the last sync: a push carries the change since then.
    private var baseline: [Float]
    /// The gradient gathered for a push; the pulled wire values (every shard's range).
    private var wire: [Float]
    private var pulled: [Float]
    /// Runs with delta pulls: the codec of the server's publications (see `PublishedParameters`).
    let pullCodec: (any GradientCodec)?
    /// Pull when the server has moved on by this many versions since our replica.
    let pullEvery: UInt64
    /// Synchronous runs pull after every step, before the next. Asynchronous ones pull at once
    /// while a pull costs little next to a minibatch (fresher parameters, less staleness), and
    /// in the background while the next minibatch trains once it does not (a slow link or a
    /// large model then costs staleness, not time).
    let synchronous: Bool
    /// Whether pulls may overlap training at all (off: every pull blocks, so a run does not
    /// depend on how long a pull took; for comparisons in tests).
    let overlapPulls: Bool
    /// Seconds the last blocking pull and the last minibatch took.
    private var pullSeconds = 0.0, stepSeconds = 0.0
    /// Seconds the last step's computation (forward, backward, encoding) and its push took.
    public private(set) var lastStepSeconds = 0.0, lastPushSeconds = 0.0
    /// A pull of every shard started after the last push, installed after the next one.
    private var pendingPull: Task<[Params], Error>?

    public private(set) var bytesPushed = 0
    public private(set) var bytesPulled = 0
    /// Pulls that brought parameters (not `unchanged`), and those that brought a whole anchor
    /// (counted per shard).
    public private(set) var pullsInstalled = 0, anchorsInstalled = 0
    /// The version our replica holds of shard 0 (the whole arena when not sharded).
    public var version: UInt64 { shards[0].localVersion }
    /// What error feedback still holds back, summed over the shards' residuals.
    public var residualEnergy: Double { shards.reduce(0) { $0 + $1.feedback.residualEnergy } }
    /// False once any shard's connection closed (the session then reconnects).
    public var isConnected: Bool { shards.allSatisfy { $0.link.isConnected } }

    /// - Parameters:
    ///   - client: the parameter server: `PSClient` over the network, or an in-process link.
    ///   - overlapPulls: see `overlapPulls`.
    public convenience init(recipe: RunRecipe, fonts: FontSet, client: any ParameterServerLink, threads: Int,
                            overlapPulls: Bool = true) throws {
        try self.init(recipe: recipe, fonts: fonts, links: [client], threads: threads, overlapPulls: overlapPulls)
    }

    /// - Parameter links: one link per shard, in shard order (their welcomes name the ranges).
    /// - Throws: `WorkerError.arenaMismatch` when a welcome's range is not this model's.
    public init(recipe: RunRecipe, fonts: FontSet, links: [any ParameterServerLink], threads: Int,
                overlapPulls: Bool = true) throws {
        precondition(!links.isEmpty, "a session needs a parameter server")
        self.recipe = recipe
        self.overlapPulls = overlapPulls
        model = recipe.makeModel(threads: threads)
        // A line whose label cannot fit the time steps must not poison the update with ∞.
        model.zeroInfinity = true
        source = try recipe.makeSource(fonts: fonts)
        codec = try recipe.makeCodec()
        let count = WireArena.count(of: model)
        let ranges = ArenaRanges.split(model, shards: links.count)
        shards = try zip(links, ranges).map { link, range in
            let served = link.welcome.range
            guard served.lower == UInt64(range.lower), served.upper == UInt64(range.upper),
                  Int(served.shards) == links.count, UInt64(range.count) == link.welcome.parameterCount else {
                throw WorkerError.arenaMismatch(run: recipe.run, local: count, server: Int(link.welcome.parameterCount),
                                                range: "\(range)", served: "\(served)")
            }
            return ShardReplica(link: link, range: range)
        }
        let pullCodecName = links[0].welcome.pullCodecName
        pullCodec = try pullCodecName.isEmpty ? nil : GradientCodecs.named(pullCodecName)
        wire = [Float](repeating: 0, count: count)
        pulled = [Float](repeating: 0, count: count)
        baseline = model.buffers.values
        if case .synchronous = recipe.config.sync { synchronous = true } else { synchronous = false }
        pullEvery = synchronous ? 1 : UInt64(max(1, recipe.config.staleness.bound / 2))
    }

    /// Brings the replica to the servers' current parameters.
    public func pull() async throws {
        let started = Date()
        let answers = try await Self.pullEveryShard(pullRequests())
        try await offPool { try self.install(answers) }
        pullSeconds = Date().timeIntervalSince(started)
    }

    /// Whether pulls are slow enough to overlap with training: above a tenth of a minibatch.
    private var pullsInBackground: Bool { overlapPulls && pullSeconds > 0.1 * stepSeconds }

    /// Starts a pull of every shard that the next step installs; each connection answers it
    /// before that step's push.
    private func startPull() {
        let requests = pullRequests()
        pendingPull = Task { try await Self.pullEveryShard(requests) }
    }

    /// What each shard is asked, read now (the pulls run while the session goes on).
    private func pullRequests() -> [(link: any ParameterServerLink, since: UInt64, anchor: UInt64)] {
        shards.map { ($0.link, $0.hasParameters ? $0.localVersion : Pull.none, $0.anchorVersion) }
    }

    private static func pullEveryShard(_ requests: [(link: any ParameterServerLink, since: UInt64, anchor: UInt64)]) async throws -> [Params] {
        try await inParallel(requests.count) { s in
            try await requests[s].link.pull(sinceVersion: requests[s].since, anchorVersion: requests[s].anchor)
        }
    }

    /// Runs `body(s)` for every shard index in parallel; the results in shard order.
    private static func inParallel<T: Sendable>(_ count: Int,
                                                _ body: @escaping @Sendable (Int) async throws -> T) async throws -> [T] {
        if count == 1 { return [try await body(0)] }
        return try await withThrowingTaskGroup(of: (Int, T).self) { group in
            for s in 0..<count { group.addTask { (s, try await body(s)) } }
            var results = [T?](repeating: nil, count: count)
            for try await (s, result) in group { results[s] = result }
            return results.map { $0! }
        }
    }

    /// Loads one pull's answers (one per shard, in shard order) into the replica.
    func install(_ answers: [Params]) throws {
        guard answers.contains(where: { $0.encoding != .unchanged }) else { return }
        for (shard, params) in zip(shards, answers) where params.encoding != .unchanged {
            try install(params, shard: shard)
        }
        WireArena.load(pulled, into: model)
        baseline = model.buffers.values
    }

    /// Loads pulled parameters into the replica (an unsharded run's one answer).
    func install(_ params: Params) throws { try install([params]) }

    /// Decodes one shard's answer into its range of `pulled`.
    private func install(_ params: Params, shard: ShardReplica) throws {
        bytesPulled += params.byteCount
        pullsInstalled += 1
        if params.encoding == .anchorAndDelta { anchorsInstalled += 1 }
        let range = shard.range
        if params.encoding == .fp32Zstd {
            try params.payload.withUnsafeReadableBytes { raw in
                try pulled.withUnsafeMutableBufferPointer {
                    try FP32ZstdCodec().decode(raw, into: UnsafeMutableBufferPointer(rebasing: $0[range.lower..<range.upper]))
                }
            }
        } else {
            let arena = try followChain(params, shard: shard)
            pulled.replaceSubrange(range.lower..<range.upper, with: arena)
        }
        shard.localVersion = params.version
        shard.hasParameters = true
    }

    /// Delta pulls: the shard's published range after `params` (a new anchor, or the one held,
    /// plus the publications in order). Nothing is kept from a pull that fails halfway: the next
    /// pull then asks for the anchor again.
    private func followChain(_ params: Params, shard: ShardReplica) throws -> [Float] {
        guard let pullCodec else { throw WorkerError.unexpectedDelta(run: recipe.run) }
        var arena: [Float]
        if params.encoding == .anchorAndDelta {
            arena = shard.published ?? [Float](repeating: 0, count: shard.range.count)
            shard.published = nil
            try params.anchor.withUnsafeReadableBytes { raw in
                try arena.withUnsafeMutableBufferPointer { try FP32ZstdCodec().decode(raw, into: $0) }
            }
        } else {
            guard let held = shard.published, params.anchorVersion == shard.anchorVersion else {
                throw WorkerError.unknownAnchor(run: recipe.run, asked: params.anchorVersion, held: shard.anchorVersion)
            }
            arena = held
            shard.published = nil   // arena is now the only reference: the publications add in place
        }
        shard.anchorVersion = Pull.none
        for increment in params.increments {
            try increment.withUnsafeReadableBytes { raw in
                try arena.withUnsafeMutableBufferPointer { try pullCodec.decode(raw, scaledBy: 1, addingTo: $0) }
            }
        }
        guard allFinite(arena) else { throw WorkerError.nonFiniteParameters(run: recipe.run) }
        shard.published = arena
        shard.anchorVersion = params.anchorVersion
        return arena
    }

    /// One minibatch: forward, backward, push the encoded gradient (each shard its range, on the
    /// version it was computed with), install a background pull, pull when a server moved.
    /// - Returns: the batch loss and the servers' answer (shard 0's version; refused when any
    ///   shard refused; the largest staleness).
    public func step(images: [Float], labels: [[Int]]) async throws -> (loss: Float, ack: Ack) {
        let computing = Date()
        let (loss, payloads) = try await offPool { try self.computeGradient(images: images, labels: labels) }
        lastStepSeconds = Date().timeIntervalSince(computing)
        bytesPushed += payloads.reduce(0) { $0 + $1.count }
        let pushing = Date()
        let codecName = codec.name, samples = UInt32(labels.count)
        let pushes = shards.map { (link: $0.link, base: $0.localVersion) }
        let acks = try await Self.inParallel(pushes.count) { s in
            try await pushes[s].link.push(baseVersion: pushes[s].base, sampleCount: samples, loss: loss,
                                          codecName: codecName, payload: payloads[s])
        }
        lastPushSeconds = Date().timeIntervalSince(pushing)
        if let pulling = pendingPull {
            pendingPull = nil
            let answers = try await pulling.value
            try await offPool { try self.install(answers) }
        }
        let refused = acks.contains { $0.status == .refused }
        let moved = zip(shards, acks).contains { $1.newVersion >= $0.localVersion + pullEvery }
        if refused || moved {
            if !refused && !synchronous && pullsInBackground { startPull() } else { try await pull() }
        }
        var ack = acks[0]
        if let refusal = acks.first(where: { $0.status == .refused }) { ack.status = .refused; ack.reason = refusal.reason }
        ack.staleness = acks.map(\.staleness).max()!
        return (loss, ack)
    }

    /// Forward, backward, and the encoded change of parameters and running statistics, one
    /// payload per shard (its range, in its layout, with its residual).
    private func computeGradient(images: [Float], labels: [[Int]]) throws -> (loss: Float, payloads: [[UInt8]]) {
        let started = Date()
        let loss = try model.trainStep(images: images, targets: labels)
        stepSeconds = Date().timeIntervalSince(started)
        WireArena.gatherPush(from: model, baseline: baseline, into: &wire)
        baseline = model.buffers.values
        guard allFinite(wire) else {
            throw WorkerError.nonFiniteGradient(run: recipe.run)
        }
        // Each shard's range of the gradient, encoded in place (no copy of the arena per step).
        return (loss, try wire.withUnsafeBufferPointer { all in
            try shards.map { shard in
                try shard.feedback.encode(gradient: UnsafeBufferPointer(rebasing: all[shard.range.lower..<shard.range.upper]),
                                          layout: shard.range.pieces, codec: codec)
            }
        })
    }

    /// Runs CPU-bound work on the training thread (see the type's comment).
    private func offPool<T>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await Self.trainingThread.runIfActive(body)
    }

    /// One thread for every session's minibatches: a worker trains one at a time (BLAS spreads
    /// each over the cores), and sessions in one process (tests) take turns instead of
    /// oversubscribing two cores and starving the event loops that carry acknowledgements.
    static let trainingThread: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()

    public func close() async {
        pendingPull?.cancel()
        pendingPull = nil
        for shard in shards { await shard.link.bye() }
    }
}

/// What a session holds of one shard: its link, range, the version its replica holds, the delta
/// chain it follows (its published range and anchor version) and its error-feedback residual.
/// Only the session's task touches it (pulls of several shards run in parallel, each on its own).
final class ShardReplica: @unchecked Sendable {
    let link: any ParameterServerLink
    let range: ArenaRange
    let feedback: ErrorFeedback
    var localVersion: UInt64 = 0
    var hasParameters = false
    var published: [Float]?
    var anchorVersion = Pull.none

    init(link: any ParameterServerLink, range: ArenaRange) {
        self.link = link
        self.range = range
        feedback = ErrorFeedback(count: range.count)
    }
}

enum WorkerError: Error, CustomStringConvertible {
    case arenaMismatch(run: Int64, local: Int, server: Int, range: String, served: String)
    case nonFiniteGradient(run: Int64)
    case noServer(run: Int64)
    /// The parameter server refused this worker's token: fatal, retrying cannot help.
    case authenticationFailed(run: Int64, reason: String)
    /// The server answered a pull with a delta the session cannot apply.
    case unexpectedDelta(run: Int64)
    case unknownAnchor(run: Int64, asked: UInt64, held: UInt64)
    case nonFiniteParameters(run: Int64)

    /// Whether the shard's attempt is spent (a failure that retrying the same shard repeats),
    /// rather than the shard given back for free.
    var spendsAnAttempt: Bool {
        if case .nonFiniteGradient = self { return true }
        return false
    }

    var description: String {
        switch self {
        case let .arenaMismatch(run, local, server, range, served):
            return "run \(run): this worker's model has \(local) values and wants \(range) from this parameter server, "
                + "which serves \(served) (\(server) values): the worker and the coordinator disagree on the model or the shards"
        case let .nonFiniteGradient(run):
            return "run \(run): \(ShardQueue.nonFiniteGradientReason): the parameters diverged (lower optimizer.lr) or the batch is broken"
        case let .noServer(run):
            return "run \(run): no parameter server address published yet"
        case let .unexpectedDelta(run):
            return "run \(run): the parameter server sent a delta, but its welcome named no pull codec"
        case let .unknownAnchor(run, asked, held):
            return "run \(run): the parameter server sent a delta against anchor \(asked), this worker holds "
                + (held == Pull.none ? "none" : "\(held)")
        case let .nonFiniteParameters(run):
            return "run \(run): pulled parameters hold NaN or ∞"
        case let .authenticationFailed(run, reason):
            return "run \(run): the parameter server refused this worker's token (\(reason)); "
                + "stopping: a wrong token is not a passing failure (give the coordinator's token with --token-file or CRNN_TOKEN)"
        }
    }
}
