import Foundation
import Testing
@testable import Store

/// The run config: defaults, examples, overrides, and an error naming key and line for every
/// kind of mistake.
@Suite struct RunConfigParserTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    let minimal = """
        model: tiny
        charset: digits
        data:
          synthetic: {samples_per_epoch: 1000}
        """

    func parse(_ yaml: String, overrides: [String] = []) throws -> RunConfig {
        try RunConfigParser().parse(yaml: yaml, file: "run.yaml", baseDirectory: "/tmp", overrides: overrides)
    }

    /// Runs `body`, expecting a RunConfigError, and returns it.
    func failure(_ body: () throws -> RunConfig) -> RunConfigError? {
        do {
            _ = try body()
            return nil
        } catch let error as RunConfigError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    @Test func essentialsOnlyGetEveryDefault() throws {
        let config = try parse(minimal)
        #expect(config.model == .tiny && config.charset == .preset(.digits))
        #expect(config.direction == .horizontal && config.image == .init(height: 32, width: 512))
        #expect(config.data == .synthetic(samplesPerEpoch: 1000))
        #expect(config.epochs == 1 && config.shardSize == 1024 && config.batchSize == 64)
        #expect(config.optimizer == .defaults(.sgd) && config.schedule == .constant)
        #expect(config.gradients.codec == .fp32Zstd && config.sync == .asynchronous)
        #expect(config.checkpoints == .init(best: 3, keepLatest: true) && config.maxAttempts == 3)
        #expect(config.threads == nil && config.totalShards == 1)
    }

    @Test func verticalDefaultsToTallImages() throws {
        let config = try parse(minimal + "\ndirection: vertical")
        #expect(config.image == .init(height: 512, width: 32))
    }

    @Test func committedExamplesParse() throws {
        let examples = Self.repository.appendingPathComponent("examples")
        let demo = try RunConfigParser().parse(file: examples.appendingPathComponent("demo.yaml").path)
        #expect(demo.model == .tiny && demo.charset == .preset(.digits) && demo.optimizer.type == .adam)
        for direction in TextDirection.allCases {
            let seed = try RunConfigParser().parse(file: examples.appendingPathComponent("seed-\(direction).yaml").path)
            #expect(seed.model == .seed && seed.charset == .preset(.full) && seed.direction == direction)
            #expect(seed.optimizer == .init(type: .sgd, lr: 0.01, momentum: 0.9, weightDecay: 1e-4))
            #expect(seed.schedule == .init(type: .step, every: 30, gamma: 0.1))
            #expect(seed.batchSize == 64 && seed.epochs == 90 && seed.samplesPerEpoch == 3_000_000)
        }
    }

    @Test func overridesApplyWithTypes() throws {
        let config = try parse(minimal, overrides: [
            "optimizer.type=adam", "optimizer.lr=0.005", "optimizer.betas=[0.8, 0.99]", "sync=4",
            "data.synthetic.samples_per_epoch=2500", "shard_size=1000", "batch_size=10", "epochs=2",
        ])
        #expect(config.optimizer.type == .adam && config.optimizer.lr == 0.005 && config.optimizer.betas == [0.8, 0.99])
        #expect(config.sync == .synchronous(workers: 4))
        #expect(config.shardsPerEpoch == 3 && config.totalShards == 6)
    }

    @Test func jsonRoundTripKeepsEveryField() throws {
        let config = try parse(minimal, overrides: ["gradients.codec=topk+fp16+zstd", "sync=true", "schedule.every=5"])
        let json = try config.jsonString()
        #expect(json.contains("\"samples_per_epoch\":1000") && json.contains("\"weight_decay\""))
        #expect(try RunConfig(json: json) == config)
    }

    @Test func charsetFileIsReadRelativeToTheConfig() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cs-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "甲\n乙\n \n丙\n".write(to: folder.appendingPathComponent("chars.txt"), atomically: true, encoding: .utf8)
        let config = try RunConfigParser().parse(
            yaml: minimal.replacingOccurrences(of: "charset: digits", with: "charset: chars.txt"),
            file: "run.yaml", baseDirectory: folder.path)
        #expect(config.charset == .file(folder.appendingPathComponent("chars.txt").standardizedFileURL.path))
        #expect(config.fileCharacters == ["甲", "乙", " ", "丙"])
    }

    @Test func pullsDefaultToExactAndTakeADeltaCodec() throws {
        #expect(try parse(minimal).pulls == nil)
        #expect(try parse(minimal + "\npulls: {codec: exact}").pulls == .exact)
        let delta = try parse(minimal + "\npulls: {codec: topk+bf16+zstd, k: 0.02, resync_every: 50}").pulls
        #expect(delta == .init(codec: .topkBf16Zstd, k: 0.02, resyncEvery: 50))
        let dense = try parse(minimal, overrides: ["pulls.codec=fp16+zstd"]).pulls
        #expect(dense == .init(codec: .fp16Zstd, k: nil, resyncEvery: RunConfig.Pulls.defaultResyncEvery))
        let config = try parse(minimal + "\npulls: {codec: topk+fp16+zstd}")
        #expect(config.pulls?.k == 0.01)
        #expect(try RunConfig(json: try config.jsonString()) == config)
        // A config stored before pulls had a section reads back as exact pulls.
        let old = try parse(minimal).jsonString()
        #expect(!old.contains("pulls"))
        #expect(try RunConfig(json: old).pulls == nil)
    }

    @Test func pullMistakesNameTheKey() {
        let lossless = failure { try parse(minimal + "\npulls: {codec: fp32+zstd}") }
        #expect(lossless?.key == "pulls.codec" && lossless?.description.contains("no smaller than the arena") == true)
        #expect(lossless?.description.contains("must be one of exact, fp16+zstd") == true)
        let unknown = failure { try parse(minimal + "\npulls: {codec: gzip}") }
        #expect(unknown?.description.contains("got 'gzip'; must be one of exact") == true)
        let k = failure { try parse(minimal + "\npulls: {codec: fp16+zstd, k: 0.1}") }
        #expect(k?.key == "pulls.k" && k?.description.contains("only to the top-k pull codecs") == true)
        let resync = failure { try parse(minimal + "\npulls: {codec: exact, resync_every: 10}") }
        #expect(resync?.key == "pulls.resync_every")
        let zero = failure { try parse(minimal + "\npulls: {codec: bf16+zstd, resync_every: 0}") }
        #expect(zero?.key == "pulls.resync_every")
        let unknownKey = failure { try parse(minimal + "\npulls: {codec: bf16+zstd, every: 3}") }
        #expect(unknownKey?.kind == .unknownKey && unknownKey?.key == "pulls.every")
    }

    // MARK: errors: each names the key and the line

    @Test func missingFileNamesTheFile() {
        let error = failure { try RunConfigParser().parse(file: "/nonexistent/run.yaml") }
        #expect(error?.kind == .unreadable)
        #expect(error?.description == "/nonexistent/run.yaml: cannot read config: no such file")
    }

    @Test func badYAMLGivesTheLine() {
        let error = failure { try parse("model: tiny\ncharset: [digits\ndata: {}\n") }
        #expect(error?.kind == .invalidYAML)
        #expect(error?.line != nil)
        #expect(error?.description.hasPrefix("run.yaml:") == true)
    }

    @Test func unknownKeyNamesKeyAndLine() {
        let error = failure { try parse(minimal + "\noptimizer:\n  type: sgd\n  lr: 0.1\n  momentun: 0.9\n") }
        #expect(error?.kind == .unknownKey)
        #expect(error?.key == "optimizer.momentun")
        #expect(error?.line == 8)
        #expect(error?.description.hasPrefix("run.yaml:8: optimizer.momentun: unknown key") == true)
    }

    @Test func keyOfAnotherOptimizerIsRefused() {
        let error = failure { try parse(minimal + "\noptimizer: {type: adam, momentum: 0.9}") }
        #expect(error?.kind == .unknownKey && error?.key == "optimizer.momentum")
        #expect(error?.description.contains("does not apply to adam") == true)
    }

    @Test func wrongTypeNamesKeyAndLine() {
        let error = failure { try parse(minimal + "\nepochs: ten") }
        #expect(error?.kind == .wrongType)
        #expect(error?.description == "run.yaml:5: epochs: expected an integer, got 'ten'")
        let mapping = failure { try parse(minimal + "\nimage: 32x512") }
        #expect(mapping?.kind == .wrongType && mapping?.key == "image")
    }

    @Test func outOfRangeNamesKeyAndLine() {
        let error = failure { try parse(minimal + "\noptimizer:\n  lr: -0.5") }
        #expect(error?.kind == .invalidValue && error?.key == "optimizer.lr" && error?.line == 6)
        #expect(error?.description.contains("got -0.5") == true)
        let choice = failure { try parse(minimal.replacingOccurrences(of: "tiny", with: "huge")) }
        #expect(choice?.kind == .invalidValue && choice?.key == "model" && choice?.line == 1)
        #expect(choice?.description.contains("seed, paper, small, mini, tiny") == true)
    }

    @Test func missingEssentialIsNamed() {
        let error = failure { try parse("model: tiny\ncharset: digits\n") }
        #expect(error?.kind == .missingKey && error?.key == "data")
    }

    @Test func badOverridesSayTheyCameFromSet() {
        let unknown = failure { try parse(minimal, overrides: ["optimiser.lr=0.1"]) }
        #expect(unknown?.kind == .unknownKey && unknown?.key == "optimiser" && unknown?.fromOverride == true)
        #expect(unknown?.description.contains("(--set)") == true)
        let range = failure { try parse(minimal, overrides: ["batch_size=0"]) }
        #expect(range?.kind == .invalidValue && range?.key == "batch_size" && range?.line == nil)
        let shape = failure { try parse(minimal, overrides: ["no-equals-sign"]) }
        #expect(shape?.kind == .badOverride)
    }
}

extension RunConfigParserTests {
    @Test func absurdShardCountIsRefusedBeforeAnythingIsPlanned() {
        let error = failure { try parse(minimal, overrides: ["data.synthetic.samples_per_epoch=1000000000", "shard_size=1", "batch_size=1"]) }
        #expect(error?.kind == .invalidValue && error?.key == "shard_size")
        #expect(error?.description.contains("raise shard_size") == true)
    }
}
