// Raw pointers to every layer's tensors inside an arena, resolved once by name so that the
// forward and backward passes do no dictionary lookups or string work per step.

/// Where each layer's tensors live in one arena (parameters or gradients).
struct LayerPointers {
    var convWeight: [UnsafeMutablePointer<Float>] = [], convBias: [UnsafeMutablePointer<Float>] = []
    /// Per conv (index 0…6) its batch norm's tensors, nil where none follows.
    var bnWeight: [UnsafeMutablePointer<Float>?] = [], bnBias: [UnsafeMutablePointer<Float>?] = []
    /// Running mean/variance per conv (only for the parameter side).
    var runningMean: [UnsafeMutablePointer<Float>?] = [], runningVar: [UnsafeMutablePointer<Float>?] = []
    /// rnn1 forward, rnn1 reverse, rnn2 forward, rnn2 reverse: each the start of four tensors
    /// (weight_ih, weight_hh, bias_ih, bias_hh) laid back to back, as the recurrent layers expect.
    var rnn: [UnsafeMutablePointer<Float>] = []
    var embWeight: UnsafeMutablePointer<Float>?, embBias: UnsafeMutablePointer<Float>?
    var fcWeight: UnsafeMutablePointer<Float>, fcBias: UnsafeMutablePointer<Float>

    init(_ arena: ParameterArena, buffers: ParameterArena?, config: ModelConfig) {
        fcWeight = arena.at("fc.weight"); fcBias = arena.at("fc.bias")
        for i in 1...7 {
            convWeight.append(arena.at("conv\(i).weight")); convBias.append(arena.at("conv\(i).bias"))
        }
        for i in 0..<7 {
            let bn = "bn\(i + 1)", present = config.batchNorm[i]
            bnWeight.append(present ? arena.at("\(bn).weight") : nil)
            bnBias.append(present ? arena.at("\(bn).bias") : nil)
            runningMean.append(present && buffers != nil ? buffers!.at("\(bn).running_mean") : nil)
            runningVar.append(present && buffers != nil ? buffers!.at("\(bn).running_var") : nil)
        }
        for layer in ["rnn1", "rnn2"] {
            for suffix in ["", "_reverse"] { rnn.append(arena.at("\(layer).weight_ih_l0\(suffix)")) }
        }
        if config.head == .lstm { embWeight = arena.at("emb.weight"); embBias = arena.at("emb.bias") }
    }
}
