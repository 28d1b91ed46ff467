// A CRNN with batch norm after every convolution (the `tiny` preset's layout): the generic
// forward/backward must give the gradient the loss actually has, for every tensor.
import Foundation
import Testing
@testable import Engine

@Suite struct BatchNormEverywhereTests {
    static let config = ModelConfig(channels: [2, 3, 3, 3, 4, 4, 4], head: .gru, hidden: 3, classes: 4,
                                    batchNorm: Array(repeating: true, count: 7))

    @Test func layoutNamesABatchNormPerConvolution() {
        let names = Self.config.parameterShapes.map(\.name)
        for i in 1...7 { #expect(names.contains("bn\(i).weight") && names.contains("bn\(i).bias")) }
        #expect(Self.config.bufferShapes.count == 14)
        #expect(ModelPreset.seed.config(classes: 5).batchNorm == ModelConfig.originalBatchNorm,
                "the original layout keeps bn5 and bn6 only (PyTorch state dicts map one to one)")
        #expect(ModelPreset.tiny.config(classes: 5).batchNorm.allSatisfy { $0 })
    }

    @Test func everyGradientMatchesFiniteDifferences() throws {
        let model = CRNNModel(config: Self.config, seed: 5)
        let images = randomFloats(2 * 32 * 24, seed: 1)
        let targets = [[1], [2, 3]]
        try model.trainStep(images: images, targets: targets)
        let analytic = model.gradients.values
        var values = model.parameters.values
        // Central differences with ε = 1e-3 on up to 240 spread elements of every tensor. Batch
        // norm puts half of each layer's values near ReLU's kink, where a step can cross it, so
        // a few elements may miss; a wrong backward misses most of them.
        var checked = 0, matched = 0
        let eps: Float = 1e-3
        for slice in model.parameters.layout.slices {
            let stride = max(1, slice.count / 8)
            for i in Swift.stride(from: slice.offset, to: slice.offset + slice.count, by: stride) {
                let saved = values[i]
                values[i] = saved + eps; model.parameters.load(values)
                let plus = Double(try model.trainStep(images: images, targets: targets))
                values[i] = saved - eps; model.parameters.load(values)
                let minus = Double(try model.trainStep(images: images, targets: targets))
                values[i] = saved
                let numeric = (plus - minus) / (2 * Double(eps))
                checked += 1
                if abs(numeric - Double(analytic[i])) <= 2e-3 + 5e-2 * abs(numeric) { matched += 1 }
            }
        }
        #expect(checked > 150)
        #expect(Double(matched) >= 0.95 * Double(checked), "\(matched) of \(checked) gradient elements match finite differences")
    }

    @Test func checkpointsWithoutTheFieldReadAsTheOriginalLayout() throws {
        let json = #"{"channels":[8,16,24,24,32,32,32],"head":"gru","hidden":32,"classes":11}"#
        let decoded = try JSONDecoder().decode(ModelConfig.self, from: Data(json.utf8))
        #expect(decoded.batchNorm == ModelConfig.originalBatchNorm)
    }
}
