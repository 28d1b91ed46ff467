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
public final class RunSession: @unchecked Sendable {
    let recipe: RunRecipe
    let model: CRNNModel
    let source: SyntheticSource
    let codec: any GradientCodec
    let feedback: ErrorFeedback
    let layout: [Int]
    let client: any ParameterServerLink
    /// The server version our replica holds.
    private(set) var localVersion: UInt64 = 0
    private var hasParameters = false
    /// Running statistics as of the last sync: a push carries the change since then.
    private var baseline: [Float]
    private var wire: [Float]
    /// Runs with delta pulls: the codec of the server's publications, the published arena this
    /// replica follows (its anchor plus every publication since, bit for bit the server's), and
    /// the anchor's version (see `PublishedParameters`).
    let pullCodec: (any GradientCodec)?
    private var published: [Float]?
    private var anchorVersion = Pull.none
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
    /// A pull started after the last push, installed after the next one.
    private var pendingPull: Task<Params, Error>?

    public private(set) var bytesPushed = 0
    public private(set) var bytesPulled = 0
    /// Pulls that brought parameters (not `unchanged`), and those that brought a whole anchor.
    public private(set) var pullsInstalled = 0, anchorsInstalled = 0
    public var version: UInt64 { localVersion }

    /// - Parameters:
    ///   - client: the parameter server: `PSClient` over the network, or an in-process link.
    ///   - overlapPulls: see `overlapPulls`.
    public init(recipe: RunRecipe, fonts: FontSet, client: any ParameterServerLink, threads: Int,
                overlapPulls: Bool = true) throws {
        self.recipe = recipe
        self.client = client
        self.overlapPulls = overlapPulls
        model = recipe.makeModel(threads: threads)
        // A line whose label cannot fit the time steps must not poison the update with ∞.
        model.zeroInfinity = true
        source = try recipe.makeSource(fonts: fonts)
        codec = try recipe.makeCodec()
        layout = WireArena.layout(of: model)
        let count = WireArena.count(of: model)
        guard UInt64(count) == client.welcome.parameterCount else {
            throw WorkerError.arenaMismatch(run: recipe.run, local: count, server: Int(client.welcome.parameterCount))
        }
        let pullCodecName = client.welcome.pullCodecName
        pullCodec = try pullCodecName.isEmpty ? nil : GradientCodecs.named(pullCodecName)
        feedback = ErrorFeedback(count: count)
        wire = [Float](repeating: 0, count: count)
        baseline = model.buffers.values
        if case .synchronous = recipe.config.sync { synchronous = true } else { synchronous = false }
        pullEvery = synchronous ? 1 : UInt64(max(1, recipe.config.staleness.bound / 2))
    }

    /// Brings the replica to the server's current parameters.
    public func pull() async throws {
        let started = Date()
        let params = try await client.pull(sinceVersion: hasParameters ? localVersion : Pull.none,
                                           anchorVersion: anchorVersion)
        try await offPool { try self.install(params) }
        pullSeconds = Date().timeIntervalSince(started)
    }

    /// Whether pulls are slow enough to overlap with training: above a tenth of a minibatch.
    private var pullsInBackground: Bool { overlapPulls && pullSeconds > 0.1 * stepSeconds }

    /// Starts a pull that the next step installs; the connection answers it before that step's push.
    private func startPull() {
        let since = localVersion, anchored = anchorVersion
        pendingPull = Task { [client] in try await client.pull(sinceVersion: since, anchorVersion: anchored) }
    }

    /// Loads pulled parameters into the replica.
    func install(_ params: Params) throws {
        guard params.encoding != .unchanged else { return }
        bytesPulled += params.byteCount
        pullsInstalled += 1
        if params.encoding == .anchorAndDelta { anchorsInstalled += 1 }
        if params.encoding == .fp32Zstd {
            try params.payload.withUnsafeReadableBytes { raw in
                try wire.withUnsafeMutableBufferPointer { try FP32ZstdCodec().decode(raw, into: $0) }
            }
            WireArena.load(wire, into: model)
        } else {
            let arena = try followChain(params)
            WireArena.load(arena, into: model)
        }
        baseline = model.buffers.values
        localVersion = params.version
        hasParameters = true
    }

    /// Delta pulls: the published arena after `params` (a new anchor, or the one held, plus the
    /// publications in order). Nothing is kept from a pull that fails halfway: the next pull then
    /// asks for the anchor again.
    private func followChain(_ params: Params) throws -> [Float] {
        guard let pullCodec else { throw WorkerError.unexpectedDelta(run: recipe.run) }
        var arena: [Float]
        if params.encoding == .anchorAndDelta {
            arena = published ?? [Float](repeating: 0, count: wire.count)
            published = nil
            try params.anchor.withUnsafeReadableBytes { raw in
                try arena.withUnsafeMutableBufferPointer { try FP32ZstdCodec().decode(raw, into: $0) }
            }
        } else {
            guard let held = published, params.anchorVersion == anchorVersion else {
                throw WorkerError.unknownAnchor(run: recipe.run, asked: params.anchorVersion, held: anchorVersion)
            }
            arena = held
            published = nil   // arena is now the only reference: the publications add in place
        }
        anchorVersion = Pull.none
        for increment in params.increments {
            try increment.withUnsafeReadableBytes { raw in
                try arena.withUnsafeMutableBufferPointer { try pullCodec.decode(raw, scaledBy: 1, addingTo: $0) }
            }
        }
        guard allFinite(arena) else { throw WorkerError.nonFiniteParameters(run: recipe.run) }
        published = arena
        anchorVersion = params.anchorVersion
        return arena
    }

    /// One minibatch: forward, backward, push the encoded gradient (on the version it was
    /// computed with), install a background pull, pull when the server moved.
    /// - Returns: the batch loss and the server's answer.
    public func step(images: [Float], labels: [[Int]]) async throws -> (loss: Float, ack: Ack) {
        let computing = Date()
        let (loss, payload) = try await offPool { try self.computeGradient(images: images, labels: labels) }
        lastStepSeconds = Date().timeIntervalSince(computing)
        bytesPushed += payload.count
        let pushing = Date()
        let ack = try await client.push(baseVersion: localVersion, sampleCount: UInt32(labels.count),
                                        loss: loss, codecName: codec.name, payload: payload)
        lastPushSeconds = Date().timeIntervalSince(pushing)
        if let pulling = pendingPull {
            pendingPull = nil
            let params = try await pulling.value
            try await offPool { try self.install(params) }
        }
        let refused = ack.status == .refused
        if refused || ack.newVersion >= localVersion + pullEvery {
            if !refused && !synchronous && pullsInBackground { startPull() } else { try await pull() }
        }
        return (loss, ack)
    }

    /// Forward, backward, and the encoded change of parameters and running statistics.
    private func computeGradient(images: [Float], labels: [[Int]]) throws -> (loss: Float, payload: [UInt8]) {
        let started = Date()
        let loss = try model.trainStep(images: images, targets: labels)
        stepSeconds = Date().timeIntervalSince(started)
        WireArena.gatherPush(from: model, baseline: baseline, into: &wire)
        baseline = model.buffers.values
        guard allFinite(wire) else {
            throw WorkerError.nonFiniteGradient(run: recipe.run)
        }
        return (loss, try feedback.encode(wire, layout: layout, codec: codec))
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
        await client.bye()
    }
}

enum WorkerError: Error, CustomStringConvertible {
    case arenaMismatch(run: Int64, local: Int, server: Int)
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
        case let .arenaMismatch(run, local, server):
            return "run \(run): this worker's model has \(local) values but the parameter server has \(server)"
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
