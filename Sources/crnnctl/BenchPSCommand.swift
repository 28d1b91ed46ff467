import ArgumentParser
import Benchmarks
import Coordinator
import Engine
import Foundation
import Store
import TextImages
import Training
import Wire

/// `crnnctl bench ps`: pushes/s and MB/s one coordinator's parameter server sustains, per codec
/// and client count, and how many workers that serves at full speed.
///
/// One process: a real PSServer on 127.0.0.1, a real ParameterServerCore (Adam) for the preset,
/// N PSClients over loopback pushing one real gradient, encoded once per codec and reused.
/// Clients and server share this machine's cores, so the figures are a lower bound for a
/// coordinator with the machine to itself.
struct BenchPSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ps",
        abstract: "Pushes/s a parameter server sustains per codec, and the workers it could serve.")

    @Option(parsing: .upToNextOption, help: "Client counts to measure.")
    var clients: [Int] = [4, 16]

    @Option(help: "Model preset: \(ModelPreset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var preset: String = "seed"

    @Option(help: "Output classes including the blank.")
    var classes: Int = 30_657

    @Option(parsing: .upToNextOption, help: "Codecs to measure: \(GradientCodecs.names.joined(separator: ", ")).")
    var codec: [String] = [GradientCodecName.fp32Zstd, .fp16Zstd, .topkFp16Zstd].map(\.rawValue)

    @Option(help: "Kept fraction of the top-k codecs.")
    var k: Double = 0.01

    @Option(help: "Seconds of pushing per measurement.")
    var seconds: Double = 10

    @Option(help: "When clients pull: never (always current; measures applying pushes), worker (as crnn-worker: on refusal or every bound/2 versions) or every-step (after every push).")
    var pull: String = "never"

    @OptionGroup var pulls: PullOptions

    @Option(parsing: .upToNextOption, help: "Shard counts to measure: the arena split into that many key ranges, one parameter server each (each client pushes and pulls every range in parallel).")
    var shards: [Int] = [1]

    @Flag(help: "With --shards N > 1, serve only the first of the N ranges: what one shard sustains with this machine's cores to itself (the shards share nothing). Without it all N shards share this machine's cores.")
    var oneShard = false

    @Option(help: "Staleness bound of the server (down-weighting beyond it).")
    var stalenessBound: Int = 8

    @Option(help: "Threads for the server's optimiser and for the training steps.")
    var threads: Int = 2

    @Option(help: "Images per worker step: the gradient's batch and the timed step's.")
    var batch: Int = 32

    @Option(help: "Image width in pixels (a multiple of 4, at least 16); the height is 32.")
    var width: Int = 512

    @Option(help: "One worker's step time in seconds; when given, no step is timed here.")
    var stepSeconds: Double?

    @Option(help: "Charset preset or file the lines are rendered from.")
    var charset = "gb2312"

    @Option(help: "A folder of extra fonts.")
    var fontDir: String?

    func validate() throws {
        guard ModelPreset(rawValue: preset) != nil else {
            throw ValidationError("--preset \(preset) is unknown; use one of \(ModelPreset.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard classes >= 2 else { throw ValidationError("--classes must be at least 2 (class 0 is the blank), got \(classes)") }
        guard !clients.isEmpty, clients.allSatisfy({ (1...1024).contains($0) }) else {
            throw ValidationError("--clients must be 1…1024, got \(clients)")
        }
        for name in codec where !GradientCodecs.names.contains(name) {
            throw ValidationError("--codec \(name) is unknown; use one of \(GradientCodecs.names.joined(separator: ", "))")
        }
        guard k > 0 && k <= 1 else { throw ValidationError("--k must lie in (0, 1], got \(k)") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive, got \(seconds)") }
        guard PSBenchmark.PullTiming(rawValue: pull) != nil else {
            throw ValidationError("--pull must be one of \(PSBenchmark.PullTiming.allCases.map(\.rawValue).joined(separator: ", ")), got \(pull)")
        }

        guard !shards.isEmpty, shards.allSatisfy({ (1...ArenaRanges.maximumShards).contains($0) }) else {
            throw ValidationError("--shards must be 1…\(ArenaRanges.maximumShards), got \(shards)")
        }
        guard stalenessBound >= 0 else { throw ValidationError("--staleness-bound must be non-negative") }
        guard threads >= 1, batch >= 1 else { throw ValidationError("--threads and --batch must be positive") }
        guard ModelConfig.isValidWidth(width) else { throw ValidationError("--width must be a multiple of 4 and at least 16, got \(width)") }
        if let stepSeconds, !(stepSeconds > 0) { throw ValidationError("--step-seconds must be positive, got \(stepSeconds)") }
    }

    func run() throws {
        print("load average before: \(Self.loadAverage())")
        let config = ModelPreset(rawValue: preset)!.config(classes: classes)
        let worker = CRNNModel(config: config, seed: 1, threads: threads)
        worker.zeroInfinity = true
        let source = try SyntheticSource(charset: try Charset.named(charset), fonts: try FontSet.load(fontDirectory: fontDir),
                                         width: width, height: 32)
        let data = BenchmarkGradient.batch(source: source, classes: classes, count: batch)
        var (wire, loss) = try BenchmarkGradient.step(model: worker, images: data.images, targets: data.targets)
        var step = stepSeconds
        if step == nil {
            // The first step allocates the workspace; time the second.
            let started = DispatchTime.now().uptimeNanoseconds
            (wire, loss) = try BenchmarkGradient.step(model: worker, images: data.images, targets: data.targets)
            step = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        }
        let stepTime = step!
        let layout = BenchmarkGradient.layout(of: worker)
        print("preset \(preset), \(classes) classes, wire arena \(wire.count) values (\(String(format: "%.1f", Double(wire.count) * 4 / 1e6)) MB fp32); "
              + "gradient of batch \(batch) at 32×\(width), loss \(String(format: "%.3f", loss)); one worker step "
              + String(format: "%.2f s", stepTime) + (stepSeconds == nil ? " (trainStep, measured, \(threads) threads)" : " (given)"))
        print("server: Adam, staleness bound \(stalenessBound) (down-weight), optimiser threads \(threads); clients pull: \(pull); \(seconds) s per row")

        let serverModel = CRNNModel(config: config, seed: 1, threads: threads)
        let core = ParameterServerCore(
            model: serverModel, optimizer: Adam(layout: worker.parameters.layout),
            schedule: LearningRateSchedule(baseRate: 1e-3),
            staleness: StalenessRule(bound: stalenessBound, policy: .downweight), samplesPerEpoch: 1 << 30)
        let serverWire = serverModel.parameters.values + serverModel.buffers.values
        /// The shards' parameter servers (one: the whole-arena core), fresh per shard count.
        func shardCores(_ count: Int) -> [ParameterServerCore] {
            guard count > 1 else { return [core] }
            // As the coordinator runs them: shards in one process share its optimiser threads.
            let hosted = oneShard ? 1 : count
            let stepper = ShardStepper(threads: ShardStepper.threads(forShards: hosted))
            return ArenaRanges.split(serverModel, shards: count).prefix(hosted).map { range in
                ParameterServerCore(range: range, wire: serverWire, optimizer: Adam(layout: range.parameterLayout),
                                    schedule: LearningRateSchedule(baseRate: 1e-3),
                                    staleness: StalenessRule(bound: stalenessBound, policy: .downweight), samplesPerEpoch: 1 << 30,
                                    stepper: stepper)
            }
        }
        let timing = PSBenchmark.PullTiming(rawValue: pull)!
        let pullPolicy = try pulls.policy()
        print("pulls answered: " + pulls.summary)
        if oneShard { print("--one-shard: each row with N > 1 shards serves shard 1 of N only (one shard with the cores to itself)") }
        print("codec            shards clients  payload B   pushes/s  updates/s   MB/s in  pulls (anchors)  publications  MB/s out    B/pull  workers at full speed")
        for name in codec {
            let gradientCodec = try GradientCodecs.named(name, k: k)
            let payload = try gradientCodec.encode(wire, layout: layout)
            let profile = try PSBenchmark.profileApply(core: core, codec: gradientCodec, payload: payload)
            print(name.padding(toLength: 16, withPad: " ", startingAt: 0)
                  + String(format: "  no network: apply %.1f ms (%.0f/s) = decode %.1f ms + optimiser step %.1f ms + rest %.1f ms",
                           1e3 * profile.apply, 1 / profile.apply, 1e3 * profile.decode, 1e3 * profile.optimizer,
                           1e3 * (profile.apply - profile.decode - profile.optimizer)))
            for shardCount in shards {
                let cores = shardCores(shardCount)
                let payloads = try cores.map { shard in
                    try gradientCodec.encode(Array(wire[shard.range.lower..<shard.range.upper]), layout: shard.range.pieces)
                }
                for n in clients {
                    let seconds = self.seconds, samples = UInt32(batch)
                    let result = try Self.blocking {
                        try await PSBenchmark.run(shards: cores, codec: gradientCodec, payloads: payloads, clients: n,
                                                  seconds: seconds, pull: timing, sampleCount: samples, pulls: pullPolicy)
                    }
                    print(name.padding(toLength: 16, withPad: " ", startingAt: 0)
                          + String(format: " %6d %7d %10d %10.1f %10.1f %9.1f %6d (%5d) %13d %9.1f %9.0f %12.0f",
                                   shardCount, n, result.payloadBytes, result.pushesPerSecond, result.updatesPerSecond,
                                   result.megabytesInPerSecond, result.pulls, result.anchorPulls, result.publications,
                                   result.megabytesOutPerSecond, result.bytesPerPull, result.pushesPerSecond * stepTime))
                }
                for shard in cores where shard !== core { shard.stop() }
            }
        }
        print("load average after: \(Self.loadAverage())")
    }

    /// The 1, 5 and 15 minute load averages (other processes share the cores).
    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))
            .map { $0.split(separator: " ").prefix(3).joined(separator: " ") } ?? "unknown"
    }

    /// Runs async work from this synchronous command and waits for it.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = BlockingResult<T>(), done = DispatchSemaphore(value: 0)
        Task {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }
}

/// Carries an async result back to the waiting thread (written once, read after the signal).
private final class BlockingResult<T>: @unchecked Sendable { var result: Result<T, any Error>? }
