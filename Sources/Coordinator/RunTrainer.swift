// One running run inside the coordinator: its parameter server core, its push statistics, its
// validation set, and the checkpoints it keeps.
import Engine
import Foundation
import Logging
import Store
import Telemetry
import TextImages
import Training
import Wire

final class RunTrainer: @unchecked Sendable {
    let recipe: RunRecipe
    /// The run's parameter servers: one, or one per key range (`--ps-shards`).
    let parameters: ShardedParameters
    /// The encoded parameters pulls are answered with, per shard.
    let pulls: [PullAnswers]
    let validation: ValidationSet
    /// A dataset run's characters outside the charset ("" when none, or synthetic).
    let datasetReport: String
    private let evalModel: CRNNModel
    private let lock = NSLock()
    private var statistics = PushStatistics()
    private(set) var lastValidatedVersion: UInt64
    private var lastDrainedVersion: UInt64
    private(set) var bestAccuracy: Double = -1
    /// Bytes of one uncompressed fp32 push, for the compression ratio.
    let rawPushBytes: Int
    /// What Prometheus sees of this run (nil: not reported).
    let metrics: CoordinatorMetrics.RunMetrics?

    var run: Int64 { recipe.run }

    /// - Parameters:
    ///   - resumeFrom: the latest stored checkpoint of this run, after a restart. With its
    ///     training state (format version 2) the run continues exactly: optimiser state, step
    ///     count and samples applied; without it (version 1, or `init`) they start afresh.
    ///   - lastRecordedStep: the highest step of the run's stored metrics (nil: none yet).
    /// - Throws: `UnusableParameters` for NaN or ∞ in the checkpoint, `TrainingStateMismatch`
    ///   for training state of another optimiser or layout.
    /// - Parameter databaseURL: where a run on a stored dataset reads its held-out lines.
    /// - Parameter shards: key ranges the parameters are split into, one parameter server each.
    init(recipe: RunRecipe, fonts: FontSet, threads: Int, resumeFrom checkpoint: Checkpoint?,
         lastRecordedStep: Int64? = nil, metrics: CoordinatorMetrics.RunMetrics? = nil, databaseURL: String? = nil,
         shards: Int = 1) throws {
        self.recipe = recipe
        self.metrics = metrics
        let model = recipe.makeModel(threads: threads)
        if let checkpoint {
            guard checkpoint.parameters.allSatisfy(\.isFinite), checkpoint.buffers.allSatisfy(\.isFinite) else {
                throw UnusableParameters(run: recipe.run, version: UInt64(max(0, checkpoint.step)),
                                         finding: "its latest checkpoint holds NaN or ∞")
            }
            model.parameters.load(checkpoint.parameters)
            model.buffers.load(checkpoint.buffers)
        }
        let version = Self.resumedVersion(checkpointStep: checkpoint?.step ?? 0, lastRecordedStep: lastRecordedStep)
        let staleness = StalenessRule(bound: recipe.config.staleness.bound, policy: recipe.config.staleness.policy)
        // The optimiser-step timer follows shard 0 (every shard steps about as often).
        let onStep = metrics.map { handles in { @Sendable (seconds: Double) in handles.optimizerStep(seconds: seconds) } }
        let wire = shards > 1 ? model.parameters.values + model.buffers.values : []
        parameters = try ShardedParameters(
            model: model, shardCount: shards, makeOptimizer: { recipe.makeOptimizer(layout: $0) },
            training: checkpoint?.training,
            core: { range, optimizer, samples, stepper in
                ParameterServerCore(
                    range: range, wire: wire, optimizer: optimizer, schedule: recipe.schedule, staleness: staleness,
                    mode: recipe.config.sync, samplesPerEpoch: recipe.config.samplesPerEpoch, version: version,
                    samplesApplied: samples, maxSamplesPerPush: recipe.config.batchSize, stepper: stepper,
                    onStep: range.shard == 0 ? onStep : nil)
            },
            wholeCore: { optimizer, samples in
                ParameterServerCore(
                    model: model, optimizer: optimizer, schedule: recipe.schedule, staleness: staleness,
                    mode: recipe.config.sync, samplesPerEpoch: recipe.config.samplesPerEpoch, version: version,
                    samplesApplied: samples, maxSamplesPerPush: recipe.config.batchSize, onStep: onStep)
            })
        let pullPolicy = try recipe.makePullPolicy()
        pulls = parameters.shards.map { PullAnswers(core: $0, policy: pullPolicy) }
        evalModel = recipe.makeModel(threads: threads)
        if recipe.isDataset {
            let dataset = try DatasetSamples(recipe: recipe, machine: "the coordinator", databaseURL: databaseURL)
            validation = try ValidationSet(recipe: recipe, dataset: dataset)
            datasetReport = dataset.dataset.unknownReport
        } else {
            validation = ValidationSet(recipe: recipe, source: try recipe.makeSource(fonts: fonts))
            datasetReport = ""
        }
        lastValidatedVersion = version
        lastDrainedVersion = version
        rawPushBytes = 4 * parameters.wireCount
    }

    /// The run's version (shard 0's when sharded).
    var version: UInt64 { parameters.version }

    /// The version a run continues at: its checkpoint's step, unless steps past it were recorded
    /// (updates a coordinator made after its last checkpoint and lost when it died): then one past
    /// the last recorded step, so that a version names one set of parameters and the metric
    /// steps never go back. The parameters, optimiser state and schedule are the checkpoint's
    /// either way; the lost updates leave a gap in the steps, not a second history.
    static func resumedVersion(checkpointStep: Int, lastRecordedStep: Int64?) -> UInt64 {
        let restored = UInt64(max(0, checkpointStep))
        guard let last = lastRecordedStep, last >= 0, UInt64(last) > restored else { return restored }
        return UInt64(last) + 1
    }

    /// Counts a push to `shard`. A worker step pushes to every shard: its samples, loss and
    /// outcome count once (shard 0's push), its bytes on every shard.
    func recordPush(bytes: Int, samples: Int, loss: Float, outcome: PushOutcome, shard: Int = 0) {
        guard shard == 0 else {
            metrics?.pushBytes(bytes)
            lock.withLock { statistics.recordBytesIn(bytes) }
            return
        }
        metrics?.push(bytes: bytes, applied: outcome.applied, staleness: outcome.staleness, version: outcome.newVersion)
        lock.withLock {
            statistics.recordPush(bytes: bytes, rawBytes: rawPushBytes, samples: samples, loss: loss,
                                  staleness: outcome.staleness, applied: outcome.applied)
        }
    }

    /// Counts a pull from `shard`: a worker's pull asks every shard; it counts once (shard 0's),
    /// its bytes on every shard.
    func recordPull(bytes: Int, unchanged: Bool, shard: Int = 0) {
        metrics?.pull(bytes: bytes, counted: shard == 0)
        lock.withLock {
            if shard == 0 { statistics.recordPull(bytes: bytes, unchanged: unchanged) } else { statistics.recordBytesOut(bytes) }
        }
    }

    /// The push-interval metrics since the last call.
    func drainMetrics() -> [MetricSample] {
        let rate = parameters.learningRate
        let version = parameters.version
        return lock.withLock {
            defer { lastDrainedVersion = version }
            return statistics.drain(run: run, step: Int64(version), learningRate: rate,
                                    updates: Int(version - min(version, lastDrainedVersion)))
        }
    }

    var validationDue: Bool {
        parameters.version >= lastValidatedVersion + UInt64(max(1, recipe.config.validation.every))
    }

    /// Evaluates a snapshot of the parameters (pushes keep flowing meanwhile) and returns the
    /// metrics plus the checkpoint file of that snapshot, with the training state that resumes
    /// the run exactly from it.
    func validate() throws -> (version: UInt64, result: ValidationResult, checkpoint: [UInt8]) {
        let (version, _, training) = parameters.snapshot(into: evalModel)
        guard evalModel.parameters.buffer.allSatisfy(\.isFinite), evalModel.buffers.buffer.allSatisfy(\.isFinite) else {
            throw UnusableParameters(run: run, version: version, finding: "the parameters hold NaN or ∞")
        }
        let result = try validation.evaluate(evalModel)
        guard result.loss.isFinite else {
            throw UnusableParameters(run: run, version: version, finding: "the validation loss is \(result.loss)")
        }
        let metrics = [
            "val_loss": result.loss, "val_accuracy": result.lineAccuracy, "val_cer": result.characterErrorRate,
        ]
        let file = try evalModel.checkpoint(
            preset: recipe.config.model.rawValue, charset: recipe.charset.characters,
            imageHeight: recipe.config.image.height, imageWidth: recipe.config.image.width,
            step: Int(version), metrics: metrics, training: training).encoded()
        lastValidatedVersion = version
        return (version, result, file)
    }

    /// Whether `accuracy` earns a place among the best checkpoints.
    /// Watches the validations for a run that is not learning.
    var convergence = ConvergenceGuard()

    func isBest(_ accuracy: Double) -> Bool {
        defer { bestAccuracy = max(bestAccuracy, accuracy) }
        return accuracy >= bestAccuracy
    }
}

/// Validation found NaN or ∞ in a run's parameters or in what they compute. Training cannot
/// recover from that (the server drops non-finite updates and workers refuse non-finite
/// gradients), so the run fails with this reason instead of handing out shards forever.
struct UnusableParameters: Error, CustomStringConvertible {
    let run: Int64
    let version: UInt64
    let finding: String
    var description: String {
        "run \(run): \(finding) at version \(version): the run diverged (lower optimizer.lr or add a warm-up)"
    }
}
