// Checkpoints of every preset with values drawn from a seed, for the export tests: PyTorch-like
// initial weights, then non-trivial batch-norm statistics (so eval mode really uses them).
import Engine
import Vocabulary

/// A checkpoint of `preset` (digits: 11 classes) with seeded values.
func randomCheckpoint(_ preset: ModelPreset, direction: TextDirection, seed: UInt64) -> Checkpoint {
    let config = preset.config(classes: 11)
    let model = CRNNModel(config: config, direction: direction, seed: seed)
    var generator = SplitMix64(seed: seed ^ 0x5EED)
    let buffers = config.bufferShapes.flatMap { name, shape -> [Float] in
        (0..<shape.reduce(1, *)).map { _ in
            let u = Float(generator.next() >> 40) / Float(1 << 24)
            return name.hasSuffix("running_mean") ? (u - 0.5) * 0.2 : 0.5 + u
        }
    }
    // Freshly initialised, the output layer is near zero and the blank wins everywhere: spread its
    // rows (and the recurrent inputs, which random LSTMs otherwise flatten) and hold the blank
    // back, so that greedy decoding reads digit strings whose agreement means something.
    for slice in model.parameters.layout.slices {
        let gain: Float = slice.name == "fc.weight" ? 8 : slice.name.contains("weight_ih") || slice.name == "emb.weight" ? 3 : 1
        let values = model.parameters[slice.name]
        for i in values.indices { values[i] *= gain }
    }
    model.parameters["fc.bias"][0] = -2
    return Checkpoint(preset: preset.rawValue, config: config, charset: (0...9).map(String.init),
                      direction: direction, imageHeight: direction == .vertical ? 64 : 32,
                      imageWidth: direction == .vertical ? 32 : 64, step: 0, metrics: [:],
                      parameters: model.parameters.values, buffers: buffers)
}
