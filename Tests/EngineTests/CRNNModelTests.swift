import Testing
@testable import Engine

@Suite struct CRNNModelTests {
    @Test func seedPresetReportsTheSpecParameterCount() {
        let model = CRNNModel(config: ModelPreset.seed.config(classes: 30_657))
        #expect(model.parameterCount == 23_643_329)
    }

    @Test func initialisationIsDeterministicAndBounded() {
        let config = ModelPreset.tiny.config(classes: 7)
        let a = CRNNModel(config: config, seed: 42), b = CRNNModel(config: config, seed: 42)
        let c = CRNNModel(config: config, seed: 43)
        #expect(a.parameters.values == b.parameters.values)
        #expect(a.parameters.values != c.parameters.values)
        // conv2 fan_in = 8·3·3 = 72: every weight within ±1/√72; BN weight 1, running var 1.
        #expect(a.parameters["conv2.weight"].allSatisfy { abs($0) <= 1 / Float(72).squareRoot() })
        #expect(a.parameters["bn5.weight"].allSatisfy { $0 == 1 })
        #expect(a.buffers["bn6.running_var"].allSatisfy { $0 == 1 })
        #expect(a.parameters["rnn1.weight_hh_l0"].contains { abs($0) > 0.1 })
    }

    @Test func verticalModelSeesTransposedImages() throws {
        let config = ModelPreset.tiny.config(classes: 5)
        let h = CRNNModel(config: config, direction: .horizontal, seed: 3)
        let v = CRNNModel(config: config, direction: .vertical, seed: 3)
        let n = 2, w = 24
        let wide = randomFloats(n * 32 * w, seed: 9)
        var tall = wide
        for s in 0..<n { for y in 0..<32 { for x in 0..<w {
            tall[s * 32 * w + x * 32 + y] = wide[s * 32 * w + y * w + x]
        }}}
        let a = try h.logits(images: wide, batch: n), b = try v.logits(images: tall, batch: n)
        #expect(a.T == 3 && b.T == 3)
        #expect(a.values == b.values)
    }

    @Test func malformedBatchesThrow() {
        let model = CRNNModel(config: ModelPreset.tiny.config(classes: 5))
        #expect(throws: ModelInputError.invalidLength(18)) {
            try model.trainStep(images: [Float](repeating: 0, count: 32 * 18), targets: [[1]])
        }
        #expect(throws: ModelInputError.imageSize(count: 100, batch: 1)) {
            try model.logits(images: [Float](repeating: 0, count: 100), batch: 1)
        }
        #expect(throws: CTCError.self) {
            try model.trainStep(images: [Float](repeating: 0, count: 32 * 16), targets: [[7]])
        }
    }
}
