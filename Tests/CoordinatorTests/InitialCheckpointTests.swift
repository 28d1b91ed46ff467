// `init: {checkpoint: FILE}`: a run starts from a trained model's parameters. The checkpoint is
// checked against the run at submit and stored with it; the coordinator starts from it as from
// any latest checkpoint. Right after init the run's model computes the source model's loss.
import Engine
import Foundation
import Store
import Testing
import TextImages
import Training
@testable import Coordinator

@Suite struct InitialCheckpointTests {
    static func config(_ extra: String = "", seed: Int = 7) throws -> RunConfig {
        let yaml = """
            model: tiny
            charset: digits
            image: {height: 32, width: 64}
            data: {synthetic: {samples_per_epoch: 64}}
            batch_size: 8
            shard_size: 8
            optimizer: {type: adam, lr: 0.002}
            validation: {size: 8, every: 1000}
            seed: \(seed)
            \(extra)
            """
        return try RunConfigParser().parse(yaml: yaml, file: "init.yaml", baseDirectory: "/tmp")
    }

    static let digits = (0...9).map(String.init)
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// A tiny digits model trained three Adam steps away from its initialisation, and a batch.
    static func trainedSource() throws -> (model: CRNNModel, images: [Float], labels: [[Int]]) {
        let recipe = try RunRecipe(run: 1, config: try config(), characters: digits)
        let model = recipe.makeModel(threads: 1)
        let source = try recipe.makeSource(fonts: try FontSet.load(data: DataDirectory(path: Self.root + "/data")))
        var images = [Float](repeating: 0, count: 8 * 64 * 32)
        let labels = images.withUnsafeMutableBufferPointer {
            RunRecipe.render(source, seed: 3, indices: 0..<8, into: $0.baseAddress!)
        }
        let optimizer = recipe.makeOptimizer(layout: model.parameters.layout)
        for _ in 0..<3 {
            try model.trainStep(images: images, targets: labels)
            optimizer.step(parameters: model.parameters, gradients: model.gradients, learningRate: 0.002)
        }
        return (model, images, labels)
    }

    @Test func theRunStartsWhereTheSourceModelIs() throws {
        let (source, images, labels) = try Self.trainedSource()
        let file = try source.checkpoint(preset: "tiny", charset: Self.digits, imageHeight: 32, imageWidth: 64, step: 3,
                                         metrics: ["val_accuracy": 0.5]).encoded()
        // Another seed: without init the run would start elsewhere.
        let config = try Self.config(seed: 99)
        let prepared = try Checkpoint.decode(try InitialCheckpoint.prepare(file, source: "source.crnn", config: config).bytes,
                                             source: "prepared")
        #expect(prepared.step == 0 && prepared.metrics.isEmpty, "the new run counts from 0")
        let recipe = try RunRecipe(run: 2, config: config, characters: Self.digits)
        let trainer = try RunTrainer(recipe: recipe, fonts: try FontSet.load(data: DataDirectory(path: Self.root + "/data")), threads: 1,
                                     resumeFrom: prepared)
        #expect(trainer.parameters.lead.version == 0)
        let expected = try source.trainStep(images: images, targets: labels)
        let started = try trainer.parameters.lead.model.trainStep(images: images, targets: labels)
        #expect(started == expected, "loss right after init \(started) vs the source model's \(expected)")
        let fresh = try recipe.makeModel(threads: 1).trainStep(images: images, targets: labels)
        #expect(fresh != expected, "a model from the run's own seed differs (the test can fail)")
    }

    @Test func aNewRunStartsWithFreshOptimizerState() throws {
        let (source, _, _) = try Self.trainedSource()
        let adam = Adam(layout: source.parameters.layout)
        adam.stepCount = 3
        adam.expAvg.buffer.update(repeating: 0.5)
        let file = try source.checkpoint(preset: "tiny", charset: Self.digits, imageHeight: 32, imageWidth: 64, step: 3,
                                         training: adam.trainingState(samplesApplied: 24)).encoded()
        #expect(file[8] == 2)
        let prepared = try InitialCheckpoint.prepare(file, source: "source.crnn", config: try Self.config()).bytes
        #expect(prepared[8] == 1, "stored as a model alone")
        let decoded = try Checkpoint.decode(prepared, source: "prepared")
        #expect(decoded.training == nil && decoded.parameters == source.parameters.values)
    }

    @Test func aCheckpointThatDoesNotFitIsRefusedNamingWhy() throws {
        let (source, _, _) = try Self.trainedSource()
        let file = try source.checkpoint(preset: "tiny", charset: Self.digits, imageHeight: 32, imageWidth: 64, step: 3).encoded()
        func refusal(_ config: RunConfig) -> String {
            do { _ = try InitialCheckpoint.prepare(file, source: "m.crnn", config: config); return "accepted" } catch {
                return "\(error)"
            }
        }
        #expect(refusal(try Self.config()) == "accepted")
        #expect(refusal(try Self.config().with { $0.model = .small }).contains("(model)"))
        #expect(refusal(try Self.config().with { $0.direction = .vertical }).contains("(direction)"))
        #expect(refusal(try Self.config().with { $0.charset = .preset(.ascii) }).contains("(charset)"))
        let damaged = Array(file.dropLast(9))
        #expect(throws: (any Error).self) { try InitialCheckpoint.prepare(damaged, source: "m.crnn", config: try Self.config()) }
    }

    @Test func aMappedCharsetKeepsTheSharedCharactersRowsAndStartsNewOnesFresh() throws {
        let (source, _, _) = try Self.trainedSource()
        let file = try source.checkpoint(preset: "tiny", charset: Self.digits, imageHeight: 32, imageWidth: 64, step: 3).encoded()
        // The run reads digits and four more characters, and no longer reads 7.
        let grown = Self.digits.filter { $0 != "7" } + ["-", ".", ":", "/"]
        var config = try Self.config("init: {checkpoint: /dev/null, charset: map}")
        #expect(config.initialCharset == .map)
        config.fileCharacters = grown
        let prepared = try InitialCheckpoint.prepare(file, source: "source.crnn", config: config)
        #expect(prepared.mapping?.kept == 9 && prepared.mapping?.added == 4 && prepared.mapping?.dropped == 1)
        let result = try Checkpoint.decode(prepared.bytes, source: "prepared")
        #expect(result.charset == grown && result.config.classes == grown.count + 1)
        let old = ArenaLayout(source.config.parameterShapes), new = ArenaLayout(result.config.parameterShapes)
        let before = source.parameters.values
        func tensor(_ values: [Float], _ slice: TensorSlice) -> [Float] { Array(values[slice.offset..<(slice.offset + slice.count)]) }
        for slice in new.slices where !slice.name.hasPrefix("fc.") {
            #expect(tensor(result.parameters, slice) == tensor(before, old[slice.name]!), "\(slice.name) is kept")
        }
        let width = new["fc.weight"]!.shape[1]
        func row(_ values: [Float], _ slice: TensorSlice, _ c: Int) -> [Float] { Array(values[(slice.offset + c * width)..<(slice.offset + (c + 1) * width)]) }
        // Blank, then each kept digit: its old row (class of digit d was d + 1).
        #expect(row(result.parameters, new["fc.weight"]!, 0) == row(before, old["fc.weight"]!, 0))
        for (c, character) in grown.enumerated() {
            guard let d = Int(character) else { continue }
            #expect(row(result.parameters, new["fc.weight"]!, c + 1) == row(before, old["fc.weight"]!, d + 1), "\(character)")
            #expect(result.parameters[new["fc.bias"]!.offset + c + 1] == before[old["fc.bias"]!.offset + d + 1])
        }
        // New characters: the rows a fresh run of this config starts with.
        let fresh = CRNNModel(config: result.config, seed: 7).parameters.values
        for c in grown.indices where Int(grown[c]) == nil {
            #expect(row(result.parameters, new["fc.weight"]!, c + 1) == row(fresh, new["fc.weight"]!, c + 1))
        }
        #expect(result.buffers == source.buffers.values)
        // Without `map`, the different alphabet is refused, pointing at the option.
        config.initialCharset = nil
        #expect(throws: InitialCheckpoint.Mismatch.self) { try InitialCheckpoint.prepare(file, source: "source.crnn", config: config) }
        do { _ = try InitialCheckpoint.prepare(file, source: "source.crnn", config: config) } catch {
            #expect("\(error)".contains("init: {charset: map}"))
        }
        let json = try RunConfig(json: try Self.config("init: {checkpoint: /dev/null, charset: map}").jsonString())
        #expect(json.initialCharset == .map, "the mapping survives the stored JSON")
    }

    @Test func initIsParsedFromTheConfig() throws {
        let folder = NSTemporaryDirectory() + "init-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        FileManager.default.createFile(atPath: folder + "/m.crnn", contents: Data([1, 2, 3]))
        let parser = RunConfigParser()
        let base = "model: tiny\ncharset: digits\ndata: {synthetic: {samples_per_epoch: 64}}\n"
        let fromFile = try parser.parse(yaml: base + "init: {checkpoint: m.crnn}", file: "r.yaml", baseDirectory: folder)
        #expect(fromFile.initialization == .file(path: folder + "/m.crnn"))
        let fromRun = try parser.parse(yaml: base + "init: {run: 7}", file: "r.yaml", baseDirectory: folder)
        #expect(fromRun.initialization == .run(id: 7, checkpoint: .best))
        #expect(throws: RunConfigError.self) { try parser.parse(yaml: base + "init: {checkpoint: nope.crnn}", file: "r.yaml", baseDirectory: folder) }
        #expect(throws: RunConfigError.self) { try parser.parse(yaml: base + "init: {}", file: "r.yaml", baseDirectory: folder) }
        let json = try RunConfig(json: try fromFile.jsonString())
        #expect(json.initialization == fromFile.initialization, "init survives the stored JSON")
    }
}

private extension RunConfig {
    func with(_ change: (inout RunConfig) -> Void) -> RunConfig {
        var copy = self
        change(&copy)
        return copy
    }
}
