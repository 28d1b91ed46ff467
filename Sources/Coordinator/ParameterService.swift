// The parameter server's answers to workers, for every run this coordinator trains.
//
// Compressing a pull's parameters is milliseconds to seconds of CPU: it runs on NIO's blocking
// thread pool, not on Swift's cooperative threads (one per core), which must stay free to read
// frames and send acknowledgements. A push is decoded on the connection's task, where it arrives.
import Foundation
import Logging
import NIOCore
import NIOPosix
import Wire

/// One shard's parameter server for every run (shard 0 of 1: the whole arena).
final class ParameterService: ParameterServerDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private var trainers: [UInt64: RunTrainer] = [:]
    private var codecs: [UInt64: any GradientCodec] = [:]
    private let logger: Logger
    /// Which key range of each run this server answers for.
    let shard: Int

    init(logger: Logger, shard: Int = 0) {
        self.logger = logger
        self.shard = shard
    }

    func add(_ trainer: RunTrainer, codec: any GradientCodec) {
        lock.withLock {
            trainers[UInt64(trainer.run)] = trainer
            codecs[UInt64(trainer.run)] = codec
        }
    }

    func remove(run: Int64) { _ = lock.withLock { trainers.removeValue(forKey: UInt64(run)) } }

    private func trainer(_ run: UInt64) throws -> (RunTrainer, any GradientCodec) {
        guard let found = lock.withLock({ trainers[run].map { ($0, codecs[run]!) } }) else {
            throw ParameterServiceRefusal.unknownRun(run)
        }
        return found
    }

    func welcome(_ hello: Hello) async throws -> Welcome {
        let (trainer, codec) = try trainer(hello.runID)
        let core = try served(trainer, hello)
        let welcome = try core.welcome(hello, codecName: codec.name, pullCodecName: trainer.pulls[shard].policy.codecName)
        logger.info("\(hello.clientName) joined run \(hello.runID)\(core.range.isWhole ? "" : " (\(core.range))")")
        return welcome
    }

    /// This server's core of `trainer`'s run, or a refusal naming the shards the run has when
    /// it has fewer than this server's index (its shard count is another; every request checks,
    /// not only the welcome, since a run can be adopted again with another count).
    private func served(_ trainer: RunTrainer, _ hello: Hello) throws -> ParameterServerCore {
        let shards = trainer.parameters.shards
        guard shard < shards.count else {
            throw ParameterServiceRefusal.wrongShard(run: hello.runID, askedShard: hello.shard, askedShards: hello.shards,
                                                     served: shards[0].servedRange)
        }
        return shards[shard]
    }

    func handlePull(_ pull: Pull, from client: Hello) async throws -> Params {
        let (trainer, _) = try trainer(pull.runID)
        _ = try served(trainer, client)
        let answers = trainer.pulls[shard]
        let params = try await NIOThreadPool.singleton.runIfActive {
            try answers.answer(sinceVersion: pull.sinceVersion, anchorVersion: pull.anchorVersion)
        }
        trainer.recordPull(bytes: params.byteCount, unchanged: params.encoding == .unchanged, shard: shard)
        return params
    }

    func handlePush(_ push: Push, from client: Hello) async throws -> Ack {
        let (trainer, codec) = try trainer(push.runID)
        guard push.codecName == codec.name else {
            throw ParameterServiceRefusal.wrongCodec(expected: codec.name, got: push.codecName)
        }
        let outcome = try await served(trainer, client).push(push, codec: codec)
        trainer.recordPush(bytes: push.payload.readableBytes, samples: Int(push.sampleCount),
                           loss: push.loss, outcome: outcome, shard: shard)
        return Ack(outcome)
    }
}

/// Why a parameter server refuses a request (the coordinator's, an in-process link's, the
/// benchmark's).
public enum ParameterServiceRefusal: Error, CustomStringConvertible {
    case unknownRun(UInt64)
    case wrongCodec(expected: String, got: String)
    /// A pull since a version this server has not reached.
    case versionFromTheFuture(asked: UInt64, current: UInt64)
    /// A client asking this server for a shard it does not serve (a push to the wrong shard, a
    /// range that does not exist).
    case wrongShard(run: UInt64, askedShard: UInt32, askedShards: UInt32, served: ServedRange)

    public var description: String {
        switch self {
        case .unknownRun(let run): return "run \(run) is not being trained by this server"
        case let .wrongCodec(expected, got): return "run uses codec \(expected), push used \(got)"
        case let .versionFromTheFuture(asked, current):
            return "pull since version \(asked), but this server is at version \(current): the client's parameters are not this server's (reconnect and pull them whole)"
        case let .wrongShard(run, shard, shards, served):
            return "run \(run): asked for shard \(shard + 1) of \(shards), but this server serves \(served)"
                + (shards == served.shards ? "" : "; the run's parameters are split into \(served.shards) shard\(served.shards == 1 ? "" : "s")")
        }
    }
}

extension ParameterServerCore {
    /// The range this core serves, as the wire names it.
    public var servedRange: ServedRange {
        ServedRange(shard: UInt32(range.shard), shards: UInt32(range.shards), lower: UInt64(range.lower), upper: UInt64(range.upper))
    }

    /// The welcome for `hello`, or a refusal when it asks for another shard than this core's.
    /// - Throws: `ParameterServiceRefusal.wrongShard`.
    public func welcome(_ hello: Hello, codecName: String, pullCodecName: String) throws -> Welcome {
        guard hello.shard == UInt32(range.shard), hello.shards == UInt32(range.shards) else {
            throw ParameterServiceRefusal.wrongShard(run: hello.runID, askedShard: hello.shard, askedShards: hello.shards,
                                                     served: servedRange)
        }
        return Welcome(runID: hello.runID, currentVersion: version, parameterCount: UInt64(wireCount),
                       codecName: codecName, pullCodecName: pullCodecName, range: servedRange)
    }
}
