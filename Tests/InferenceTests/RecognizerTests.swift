import Engine
import Foundation
import Testing
import TextImages
@testable import Inference

/// The Recognizer against the engine it wraps: fitting any image, readings equal to decoding
/// the model's logits by hand, batching that changes nothing, beam search at least as probable
/// as greedy, and files read in order with per-file errors.
@Suite struct RecognizerTests {
    static let digits = (0...9).map(String.init)

    static func recognizer(_ direction: Engine.TextDirection = .horizontal) throws -> Recognizer {
        let model = CRNNModel(config: ModelPreset.tiny.config(classes: 11), direction: direction, seed: 9)
        let (w, h) = direction == .horizontal ? (96, 32) : (32, 96)
        return try Recognizer(checkpoint: model.checkpoint(preset: "tiny", charset: digits, imageHeight: h, imageWidth: w, step: 0))
    }

    /// A `width`×`height` image with a pattern that depends on `seed`.
    static func image(_ width: Int, _ height: Int, seed: Int) -> GreyImage {
        var image = GreyImage(width: width, height: height)
        for y in 0..<height { for x in 0..<width { image[x, y] = UInt8(truncatingIfNeeded: (x * 7 + y * 13) * (seed + 3) + (x / 5) * 60) } }
        return image
    }

    static let sizes = [(1, 1), (64, 64), (100, 32), (40, 20), (3000, 20), (20, 3000), (7, 90), (130, 31), (96, 32)]

    @Test(arguments: [Engine.TextDirection.horizontal, .vertical])
    func fitGivesAValidModelInputForAnySize(direction: Engine.TextDirection) throws {
        let recognizer = try Self.recognizer(direction)
        for (w, h) in Self.sizes {
            let fitted = recognizer.fit(Self.image(w, h, seed: 1))
            let (across, along) = direction == .horizontal ? (fitted.height, fitted.width) : (fitted.width, fitted.height)
            #expect(across == 32, "\(w)x\(h)")
            #expect(along % 4 == 0 && along >= 96 && along <= recognizer.maximumLength, "\(w)x\(h) → \(fitted.width)x\(fitted.height)")
        }
        // A line as long as the trained one keeps its size.
        let exact = direction == .horizontal ? Self.image(96, 32, seed: 2) : Self.image(32, 96, seed: 2)
        #expect(recognizer.fit(exact) == exact)
    }

    @Test(arguments: [Engine.TextDirection.horizontal, .vertical])
    func readingsEqualDecodingTheLogitsByHand(direction: Engine.TextDirection) throws {
        let recognizer = try Self.recognizer(direction)
        let images = Self.sizes.enumerated().map { Self.image($1.0, $1.1, seed: $0) }
        let readings = try recognizer.read(images, batchSize: 4)
        #expect(readings.count == images.count)
        for (image, reading) in zip(images, readings) {
            let fitted = recognizer.fit(image)
            let logits = try recognizer.model.logits(images: fitted.normalized(), batch: 1)
            let byHand = logits.values.withUnsafeBufferPointer {
                ctcGreedyDecode(logits: $0.baseAddress!, T: logits.T, K: logits.K, stride: logits.K)
            }
            #expect(reading.classes == byHand.labels)
            #expect(reading.text == byHand.labels.map { Self.digits[$0 - 1] }.joined())
            #expect(abs(reading.confidence - byHand.confidence) <= 1e-5 * max(1, byHand.confidence))
        }
    }

    @Test func batchedReadingsEqualOneByOne() throws {
        let recognizer = try Self.recognizer()
        // Several images of each fitted length, so batches really hold more than one.
        let images = (0..<14).map { Self.image([100, 120, 30][$0 % 3], 32, seed: $0) }
        let batched = try recognizer.read(images, batchSize: 5)
        let single = try images.map { try recognizer.read([$0], batchSize: 1)[0] }
        #expect(batched.map(\.text) == single.map(\.text))
        for (a, b) in zip(batched, single) { #expect(abs(a.confidence - b.confidence) <= 1e-5) }
        // The normalised-batch entry point (validation sets) agrees too.
        let fitted = images.filter { $0.width == 100 }.map(recognizer.fit)
        let direct = try recognizer.read(normalizedBatch: fitted.flatMap { $0.normalized() }, count: fitted.count)
        #expect(direct.map(\.text) == (try recognizer.read(fitted)).map(\.text))
    }

    @Test func beamSearchIsAtLeastAsProbableAsGreedy() throws {
        let recognizer = try Self.recognizer()
        for seed in 0..<6 {
            let image = recognizer.fit(Self.image(60 + 20 * seed, 32, seed: seed))
            let logits = try recognizer.model.logits(images: image.normalized(), batch: 1)
            let (greedy, beam) = logits.values.withUnsafeBufferPointer { values in
                (ctcGreedyDecode(logits: values.baseAddress!, T: logits.T, K: logits.K, stride: logits.K),
                 ctcBeamSearch(logits: values.baseAddress!, T: logits.T, K: logits.K, stride: logits.K, beamWidth: 16)[0])
            }
            // p(best labelling) ≥ p(greedy's labelling) ≥ p(greedy's single best path).
            #expect(beam.logProbability >= greedy.logProbability - 1e-4)
            let read = try recognizer.read([image], beamWidth: 16)[0]
            #expect(read.classes == beam.labels)
            #expect(abs(read.confidence - beam.confidence) <= 1e-5 * max(1, beam.confidence))
        }
    }

    @Test func largeCharsetsLimitBeamCandidates() {
        #expect(Recognizer.beamCandidates(classes: 11, beamWidth: 5) == nil, "small alphabets stay exact")
        #expect(Recognizer.beamCandidates(classes: 30657, beamWidth: 5) == 32)
        #expect(Recognizer.beamCandidates(classes: 30657, beamWidth: 20) == 80)
    }

    @Test func filesAreReadInOrderWithPerFileErrors() throws {
        let recognizer = try Self.recognizer()
        let folder = NSTemporaryDirectory() + "inference-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var paths: [String] = [], images: [GreyImage] = []
        for i in 0..<7 {
            let image = Self.image(40 + 17 * i, 32, seed: i)
            paths.append(folder + "/\(i).png")
            images.append(image)
            try PNGCodec.write(image, to: paths[i])
        }
        _ = FileManager.default.createFile(atPath: folder + "/empty.png", contents: Data())
        let all = Array(paths[..<2]) + [folder + "/empty.png", folder + "/gone.png"] + Array(paths[2...])
        var chunks: [[FilePrediction]] = []
        for threads in [1, 3] {
            chunks = []
            try recognizer.readFiles(all, batchSize: 2, chunkSize: 4, decodingThreads: threads) { chunks.append($0) }
            let results = chunks.flatMap { $0 }
            #expect(chunks.map(\.count) == [4, 4, 1])
            #expect(results.map(\.path) == all)
            let direct = try recognizer.read(images)
            #expect(results.compactMap(\.reading).map(\.text) == direct.map(\.text))
            for (a, b) in zip(results.compactMap(\.reading), direct) { #expect(abs(a.confidence - b.confidence) <= 1e-5) }
            #expect(results[2].outcome == .failure(folder + "/empty.png: empty file (0 bytes), not an image"))
            #expect(results[3].outcome == .failure(folder + "/gone.png: no such file"))
        }
    }

    @Test func imageFolderListsImagesByExtensionSorted() throws {
        let folder = NSTemporaryDirectory() + "inference-dir-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(throws: ImageFolderError.noImages(folder)) { try imageFiles(in: folder) }
        for name in ["b.JPG", "a.png", "c.jpeg", "x.gif", "notes.txt", ".png", "d.Png"] {
            _ = FileManager.default.createFile(atPath: folder + "/" + name, contents: Data([1]))
        }
        #expect(try imageFiles(in: folder).map(\.text) == ["a.png", "b.JPG", "c.jpeg", "d.Png"].map { folder + "/" + $0 })
        #expect(throws: ImageFolderError.missing(folder + "/nope")) { try imageFiles(in: folder + "/nope") }
        #expect(throws: ImageFolderError.notAFolder(folder + "/a.png")) { try imageFiles(in: folder + "/a.png") }
    }

    @Test func worstCasesComeByDistanceThenConfidence() {
        var evaluation = Evaluation()
        func reading(_ text: String, _ confidence: Float) -> Recognizer.Reading {
            Recognizer.Reading(text: text, classes: [], confidence: confidence)
        }
        evaluation.add(index: 0, path: nil, truth: "123", reading: reading("123", 0.9))
        evaluation.add(index: 1, path: nil, truth: "123", reading: reading("12", 0.8))
        evaluation.add(index: 2, path: "x.png", truth: "123", reading: reading("9", 0.7))
        evaluation.add(index: 3, path: nil, truth: "45", reading: reading("4", 0.2))
        #expect(evaluation.score.lines == 4 && evaluation.score.correctLines == 1)
        #expect(evaluation.worst(3).map(\.index) == [2, 3, 1])
        #expect(evaluation.worst(3).map(\.distance) == [3, 1, 1])
        #expect(evaluation.worst(10).count == 3)
    }
}
