// How many pushes one coordinator's parameter server sustains: a real PSServer on loopback, a
// real ParameterServerCore (decode + optimiser step per push), and N PSClients pushing one
// pre-encoded gradient as fast as the server acks. Not a test: figures come from
// `crnnctl bench ps`.
//
// Shapes: the payload encodes one wire arena [P + B] (gradient, then BN running-statistics change).
import Coordinator
import Engine
import Foundation
import Logging
import NIOCore
import NIOPosix
import Wire

/// The parameter-server throughput benchmark.
public enum PSBenchmark {
    /// When the benchmark's clients pull.
    public enum PullTiming: String, Sendable, CaseIterable {
        /// Never: each push names the version of the previous ack as its base, as if the client
        /// were always current. Measures what applying pushes costs the server, nothing else.
        case never
        /// Like `crnn-worker`: pull after a refusal or once the server has moved `bound / 2`
        /// versions past the replica (the full parameter arena, fp32+zstd, cached per version).
        case worker
        /// After every push (a worker that pulls every step).
        case everyStep = "every-step"
    }

    /// One measurement.
    public struct Result: Sendable {
        public var clients: Int
        public var seconds: Double
        public var pushes: Int
        public var applied: Int
        public var pulls: Int
        /// Pulls answered with a whole anchor (delta pulls: joining, or a new chain).
        public var anchorPulls: Int
        /// Delta pulls: publications the server made (pulls between two get `unchanged`).
        public var publications: Int
        /// Optimiser steps taken: pushes that arrive during a step share the next one.
        public var updates: Int
        /// Encoded gradient bytes received, parameter bytes sent.
        public var bytesIn: Int
        public var bytesOut: Int
        public var payloadBytes: Int
        public var pushesPerSecond: Double { Double(pushes) / seconds }
        public var updatesPerSecond: Double { Double(updates) / seconds }
        public var megabytesInPerSecond: Double { Double(bytesIn) / 1e6 / seconds }
        public var megabytesOutPerSecond: Double { Double(bytesOut) / 1e6 / seconds }
        public var bytesPerPull: Double { Double(bytesOut) / Double(max(1, pulls)) }
    }

    /// Runs `clients` clients against a fresh server for `seconds`.
    ///
    /// - Parameters:
    ///   - core: the server's parameter server (its model, optimiser and staleness rule).
    ///   - codec: the codec `payload` was encoded with.
    ///   - payload: one encoded gradient, pushed over and over.
    ///   - sampleCount: samples each push claims (moves the learning-rate schedule only).
    ///   - pulls: how the server answers pulls (exact, or delta pulls in a codec).
    /// - Throws: bind, connect or request errors.
    public static func run(core: ParameterServerCore, codec: any GradientCodec, payload: [UInt8],
                           clients: Int, seconds: Double, pull: PullTiming = .never,
                           sampleCount: UInt32 = 32, pulls: PullPolicy = .exact) async throws -> Result {
        try await run(shards: [core], codec: codec, payloads: [payload], clients: clients, seconds: seconds,
                      pull: pull, sampleCount: sampleCount, pulls: pulls)
    }

    /// Runs `clients` clients against one fresh server per shard for `seconds`: each client step
    /// pushes its range's payload to every shard and pulls from every shard, in parallel, as a
    /// worker of a sharded run does; a step counts as one push.
    ///
    /// - Parameters:
    ///   - shards: the shards' parameter servers (one core: unsharded; or one shard of several, which
    ///     then has this machine's cores to itself).
    ///   - payloads: one encoded gradient per shard (its range of the wire arena, in its layout).
    /// - Throws: bind, connect or request errors.
    public static func run(shards cores: [ParameterServerCore], codec: any GradientCodec, payloads: [[UInt8]],
                           clients: Int, seconds: Double, pull: PullTiming = .never,
                           sampleCount: UInt32 = 32, pulls: PullPolicy = .exact) async throws -> Result {
        precondition(!cores.isEmpty && payloads.count == cores.count, "one payload per shard")
        let token = try SharedToken("ps-benchmark")
        let delegates = cores.map { BenchmarkDelegate(core: $0, codec: codec, pullPolicy: pulls) }
        let largest = zip(cores, payloads).map { max($1.count, 4 * $0.wireCount) }.max()!
        var configuration = PSServerConfiguration(token: token, host: "127.0.0.1", port: 0)
        configuration.maximumPayload = max(configuration.maximumPayload, largest + (1 << 20))
        var logger = Logger(label: "crnn.ps.benchmark")
        logger.logLevel = .warning
        var servers: [PSServer] = []
        var serving: [Task<Void, any Error>] = []
        func closeAll(_ connected: [[PSClient]]) async {
            for client in connected.joined() { await client.close() }
            for server in servers { await server.close() }
            for task in serving { _ = try? await task.value }
        }
        for delegate in delegates {
            let server = try await PSServer.bind(configuration: configuration, delegate: delegate, logger: logger)
            servers.append(server)
            serving.append(Task { try await server.run() })
        }
        let pullEvery = UInt64(max(1, cores[0].policy.staleness.bound / 2))

        var connected: [[PSClient]] = []
        do {
            for i in 0..<clients {
                var links: [PSClient] = []
                for (s, server) in servers.enumerated() {
                    links.append(try await PSClient.connect(
                        host: "127.0.0.1", port: server.port, token: token, clientName: "bench-\(i)", runID: BenchmarkDelegate.runID,
                        shard: UInt32(cores[s].range.shard), shards: UInt32(cores[s].range.shards),
                        maximumPayload: configuration.maximumPayload))
                }
                connected.append(links)
            }
        } catch {
            await closeAll(connected)
            throw error
        }
        // Clients that pull join first (the whole arena, or a delta chain's anchor): a one-time
        // cost per worker, outside the timed window. Eight at a time: every joining pull holds a
        // whole arena in flight on both ends (87 MB for the seed preset), and 128 at once would
        // need more memory than the machine has.
        var joined: [[ShardState]] = []
        for wave in stride(from: 0, to: connected.count, by: 8) {
            joined += try await join(Array(connected[wave..<min(connected.count, wave + 8)]), pull: pull)
        }
        let joinBytes = delegates.reduce(0) { $0 + $1.tally.bytesOut }
        let publishedBefore = delegates.reduce(0) { $0 + $1.pulls.publicationCounts.publications }
        let clock = ContinuousClock()
        let startVersions = cores.map(\.version)
        let start = clock.now
        let deadline = start + .milliseconds(Int64(seconds * 1000))
        let counts = try await withThrowingTaskGroup(of: (pushes: Int, pulls: Int, anchors: Int).self) { group in
            for (links, initial) in zip(connected, joined) {
                group.addTask {
                    var states = initial
                    var steps = 0
                    while clock.now < deadline {
                        // Every shard's push (and pull) of one step, in parallel.
                        states = try await withThrowingTaskGroup(of: (Int, ShardState).self) { step in
                            for (s, client) in links.enumerated() {
                                let state = states[s], payload = payloads[s]
                                step.addTask {
                                    var state = state
                                    try await state.push(client, codec: codec, payload: payload, sampleCount: sampleCount,
                                                         pull: pull, pullEvery: pullEvery)
                                    return (s, state)
                                }
                            }
                            var next = states
                            for try await (s, state) in step { next[s] = state }
                            return next
                        }
                        steps += 1
                    }
                    // Pulls and anchors of every shard; a step is one push.
                    return (steps, states.reduce(0) { $0 + $1.pulls } / links.count, states.reduce(0) { $0 + $1.anchors })
                }
            }
            var total = (pushes: 0, pulls: 0, anchors: 0)
            for try await c in group { total.pushes += c.pushes; total.pulls += c.pulls; total.anchors += c.anchors }
            return total
        }
        let elapsed = clock.now - start
        for client in connected.joined() { await client.bye() }
        await closeAll([])
        let tallies = delegates.map(\.tally)
        let updates = zip(cores, startVersions).map { Int($0.version - $1) }
        return Result(clients: clients, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
                      pushes: counts.pushes, applied: tallies.map(\.applied).min() ?? 0, pulls: counts.pulls,
                      anchorPulls: counts.anchors,
                      publications: delegates.reduce(0) { $0 + $1.pulls.publicationCounts.publications } - publishedBefore,
                      updates: updates.min() ?? 0,
                      bytesIn: tallies.reduce(0) { $0 + $1.bytesIn }, bytesOut: tallies.reduce(0) { $0 + $1.bytesOut } - joinBytes,
                      payloadBytes: payloads.reduce(0) { $0 + $1.count })
    }

    /// The clients' first pulls, in parallel: each client's state per shard.
    private static func join(_ clients: [[PSClient]], pull: PullTiming) async throws -> [[ShardState]] {
        try await withThrowingTaskGroup(of: (Int, [ShardState]).self) { group in
            for (index, links) in clients.enumerated() {
                group.addTask {
                    var states: [ShardState] = []
                    for client in links {
                        guard pull != .never else { states.append(ShardState(version: client.welcome.currentVersion)); continue }
                        var state = ShardState(version: Pull.none)
                        try await state.pull(client, since: Pull.none)
                        state.pulls = 0
                        state.anchors = 0
                        states.append(state)
                    }
                    return (index, states)
                }
            }
            var all = [[ShardState]](repeating: [], count: clients.count)
            for try await (index, states) in group { all[index] = states }
            return all
        }
    }

    /// One client's view of one shard: the version it holds and the delta chain it follows.
    /// Clients do not decode what they pull (that is the workers' cost, not the server's).
    struct ShardState: Sendable {
        var version: UInt64
        var anchor = Pull.none
        var pulls = 0, anchors = 0

        mutating func pull(_ client: PSClient, since: UInt64) async throws {
            let params = try await client.pull(sinceVersion: since, anchorVersion: anchor)
            switch params.encoding {
            case .unchanged: break
            case .fp32Zstd: anchor = Pull.none
            case .delta: anchor = params.anchorVersion
            case .anchorAndDelta: anchor = params.anchorVersion; anchors += 1
            }
            version = params.version
            pulls += 1
        }

        mutating func push(_ client: PSClient, codec: any GradientCodec, payload: [UInt8], sampleCount: UInt32,
                           pull: PullTiming, pullEvery: UInt64) async throws {
            let ack = try await client.push(baseVersion: version, sampleCount: sampleCount, loss: 1,
                                            codecName: codec.name, payload: payload)
            switch pull {
            case .never:
                version = ack.newVersion
            case .worker:
                if ack.status == .refused || ack.newVersion >= version + pullEvery { try await self.pull(client, since: version) }
            case .everyStep:
                try await self.pull(client, since: version)
            }
        }
    }
}

/// A benchmark that would measure the wrong thing.
public enum PSBenchmarkError: Error, CustomStringConvertible {
    /// The server refused the benchmark's push: timing it would time a refusal.
    case pushRefused(String)

    public var description: String {
        switch self {
        case .pushRefused(let reason): return "the parameter server refused the benchmark's push: \(reason)"
        }
    }
}

extension PSBenchmark {
    /// Where one push's time goes on the server, without the network: median seconds.
    public struct ApplyProfile: Sendable {
        /// `ParameterServerCore.apply` as a whole (decode, scale, optimiser step).
        public var apply: Double
        /// The codec's decode into a full arena alone.
        public var decode: Double
        /// The optimiser's step over the parameter arena alone.
        public var optimizer: Double
    }

    /// Times `repeats` applies of `payload` to `core`, its decode, and its optimiser step.
    /// - Throws: the codec's errors for a malformed payload.
    public static func profileApply(core: ParameterServerCore, codec: any GradientCodec, payload: [UInt8],
                                    repeats: Int = 5) throws -> ApplyProfile {
        let clock = ContinuousClock()
        func median(_ body: () throws -> Void) rethrows -> Double {
            var times: [Double] = []
            for _ in 0..<max(1, repeats) {
                let start = clock.now
                try body()
                let d = clock.now - start
                times.append(Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
            }
            return times.sorted()[times.count / 2]
        }
        let apply = try median {
            // One sample: a push must claim 1 to batch-size samples, and a refused one costs nothing.
            let outcome = try payload.withUnsafeBytes {
                try core.apply(payload: $0, codec: codec, baseVersion: core.version, sampleCount: 1)
            }
            guard outcome.applied else { throw PSBenchmarkError.pushRefused(outcome.reason) }
        }
        var scratch = [Float](repeating: 0, count: core.wireCount)
        let decode = try median { try codec.decode(payload, into: &scratch) }
        let optimizer = core.withExclusiveModel { model, _ in
            median { core.optimizer.step(parameters: model.parameters, gradients: model.gradients, learningRate: 1e-3) }
        }
        return ApplyProfile(apply: apply, decode: decode, optimizer: optimizer)
    }
}

/// The coordinator's `ParameterService` answers for a single run, without the database side
/// (metrics, validation, checkpoints), counting what passes.
final class BenchmarkDelegate: ParameterServerDelegate, @unchecked Sendable {
    static let runID: UInt64 = 1
    struct Tally { var applied = 0, bytesIn = 0, bytesOut = 0 }

    let core: ParameterServerCore
    let pulls: PullAnswers
    let codec: any GradientCodec
    private let lock = NSLock()
    private var counts = Tally()
    var tally: Tally { lock.withLock { counts } }

    init(core: ParameterServerCore, codec: any GradientCodec, pullPolicy: PullPolicy = .exact) {
        self.core = core
        pulls = PullAnswers(core: core, policy: pullPolicy)
        self.codec = codec
    }

    func welcome(_ hello: Hello) async throws -> Welcome {
        guard hello.runID == Self.runID else { throw ParameterServiceRefusal.unknownRun(hello.runID) }
        return try core.welcome(hello, codecName: codec.name, pullCodecName: pulls.policy.codecName)
    }

    func handlePull(_ pull: Pull, from client: Hello) async throws -> Params {
        // As the coordinator does: encoding (or waiting for an encoding) blocks a thread for up to
        // a second, which must not be one of Swift's cooperative threads (one per core) that
        // read frames and send acks; with several shards publishing at once they would all block.
        let params = try await NIOThreadPool.singleton.runIfActive { [pulls] in
            try pulls.answer(sinceVersion: pull.sinceVersion, anchorVersion: pull.anchorVersion)
        }
        lock.withLock { counts.bytesOut += params.byteCount }
        return params
    }

    func handlePush(_ push: Push, from client: Hello) async throws -> Ack {
        guard push.codecName == codec.name else {
            throw ParameterServiceRefusal.wrongCodec(expected: codec.name, got: push.codecName)
        }
        let outcome = try await core.push(push, codec: codec)
        lock.withLock {
            counts.bytesIn += push.payload.readableBytes
            if outcome.applied { counts.applied += 1 }
        }
        return Ack(outcome)
    }
}
