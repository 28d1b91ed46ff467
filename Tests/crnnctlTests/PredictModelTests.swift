import Engine
import Foundation
import Testing
import TestSupport
import TextImages

/// `predict --model NAME` (shipped models by name) and `--direction auto` with a horizontal and
/// a vertical model: each image goes to the model of its shape.
@Suite struct PredictModelTests {
    /// A tiny model that reads every image as `letter` (its class's output bias dominates).
    static func constantModel(in folder: String, name: String, letter: String, direction: Engine.TextDirection) throws {
        let charset = ["h", "v"]
        let model = CRNNModel(config: ModelPreset.tiny.config(classes: charset.count + 1), direction: direction, seed: 5)
        let bias = model.parameters["fc.bias"]
        bias[1 + charset.firstIndex(of: letter)!] = 100
        let (width, height) = direction == .horizontal ? (64, 32) : (32, 64)
        try model.checkpoint(preset: "tiny", charset: charset, imageHeight: height, imageWidth: width, step: 0)
            .write(to: folder + "/" + name + ".crnn")
    }

    @Test func aShippedModelIsFoundByNameAndMixedLinesGoToTheirDirection() throws {
        let folder = try temporaryFolder("predict-model")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.constantModel(in: folder, name: "letters-horizontal", letter: "h", direction: .horizontal)
        try Self.constantModel(in: folder, name: "letters-vertical", letter: "v", direction: .vertical)
        let wide = folder + "/wide.png", tall = folder + "/tall.png"
        try writePNG(wide, width: 120, height: 30, channels: 1)
        try writePNG(tall, width: 30, height: 120, channels: 1)
        let env = ["CRNN_MODELS": folder]

        let one = try crnnctl(["predict", "--model", "letters-horizontal", "--threads", "1", wide, tall], environment: env)
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout.split(separator: "\n").map { $0.split(separator: "\t")[1] } == ["h", "h"], "one model reads everything")

        let both = try crnnctl(["predict", "--model", "letters-horizontal", "--model", "letters-vertical", "--threads", "1", wide, tall], environment: env)
        #expect(both.status == 0, "\(both.stderr)")
        let texts = both.stdout.split(separator: "\n").map { String($0.split(separator: "\t")[1]) }
        #expect(texts == ["h", "v"], "--direction auto: wide image horizontal, tall image vertical: \(both.stdout)")

        let forced = try crnnctl(["predict", "--model", "letters-horizontal", "--model", "letters-vertical",
                                  "--direction", "vertical", "--threads", "1", wide, tall], environment: env)
        #expect(forced.stdout.split(separator: "\n").map { String($0.split(separator: "\t")[1]) } == ["v", "v"])

        let unknown = try crnnctl(["predict", "--model", "nonesuch", wide], environment: env)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("nonesuch") && unknown.stderr.contains("letters-horizontal"),
                "the error lists the models there are: \(unknown.stderr)")
        let twoHorizontal = try crnnctl(["predict", "--model", "letters-horizontal", "--checkpoint",
                                         folder + "/letters-horizontal.crnn", wide], environment: env)
        #expect(twoHorizontal.status == 2 && twoHorizontal.stderr.contains("one horizontal and one vertical"))
    }
}
