// Deterministic PyTorch-like default initialisation from a seed.
//
// PyTorch's defaults: Conv2d and Linear weights kaiming_uniform(a = √5), i.e. U(−1/√fan_in,
// 1/√fan_in), biases U(−1/√fan_in, 1/√fan_in); GRU/LSTM every tensor U(−1/√H, 1/√H);
// BatchNorm weight 1, bias 0, running mean 0, running variance 1. The values differ from
// PyTorch's (another generator) but follow the same distributions.

extension ModelConfig {
    /// Fills `parameters` and `buffers` (layouts from `parameterShapes` / `bufferShapes`) with
    /// PyTorch's default initialisation, drawn from `seed` in layout order.
    public func initialise(parameters: ParameterArena, buffers: ParameterArena, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for slice in parameters.layout.slices {
            let values = parameters[slice.name]
            let name = slice.name
            if name.hasPrefix("bn") {
                values.update(repeating: name.hasSuffix(".weight") ? 1 : 0)
                continue
            }
            let bound: Float
            if name.hasPrefix("rnn") {
                bound = 1 / Float(hidden).squareRoot()
            } else {
                // Conv and Linear: fan_in of the layer's weight (its shape without the first axis).
                let weight = parameters.layout[String(name.prefix { $0 != "." }) + ".weight"]!
                bound = 1 / Float(weight.shape.dropFirst().reduce(1, *)).squareRoot()
            }
            for i in values.indices { values[i] = rng.uniform(bound) }
        }
        for slice in buffers.layout.slices {
            buffers[slice.name].update(repeating: slice.name.hasSuffix("running_var") ? 1 : 0)
        }
    }
}
