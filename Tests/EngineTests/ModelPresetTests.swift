import Testing
@testable import Engine

@Suite struct ModelPresetTests {
    func parameterCount(_ preset: ModelPreset, classes: Int) -> Int {
        ArenaLayout(preset.config(classes: classes).parameterShapes).count
    }

    @Test func seedAndPaperCountsMatchTheSpec() {
        #expect(parameterCount(.seed, classes: 30_657) == 23_643_329)
        #expect(parameterCount(.paper, classes: 37) == 8_330_789)
    }

    @Test func parameterOrderFollowsTheTwin() {
        let names = ModelPreset.paper.config(classes: 5).parameterShapes.map(\.name)
        #expect(Array(names.prefix(10)) == [
            "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "conv3.weight",
            "conv3.bias", "conv4.weight", "conv4.bias", "conv5.weight", "conv5.bias"])
        #expect(names[10...13] == ["bn5.weight", "bn5.bias", "conv6.weight", "conv6.bias"])
        #expect(names.firstIndex(of: "emb.weight")! > names.firstIndex(of: "rnn1.bias_hh_l0_reverse")!)
        #expect(names.suffix(2) == ["fc.weight", "fc.bias"])
        let gru = ModelPreset.seed.config(classes: 5).parameterShapes
        #expect(gru.first { $0.name == "rnn2.weight_ih_l0" }!.shape == [768, 512])
        #expect(gru.first { $0.name == "conv7.weight" }!.shape == [512, 512, 2, 2])
    }

    @Test func timeSteps() {
        #expect(ModelConfig.timeSteps(width: 512) == 125)
        #expect(ModelConfig.isValidWidth(16) && !ModelConfig.isValidWidth(18) && !ModelConfig.isValidWidth(12))
    }
}
