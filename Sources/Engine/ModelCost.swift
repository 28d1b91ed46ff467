// What a forward pass costs, counted from a config alone (benchmarks turn it into GFLOP/s).

extension ModelConfig {
    /// Forward multiply-accumulates per image `width` pixels long, by layer: the formula of
    /// tools/bench/flops.py (convolutions, recurrent layers, emb and fc; biases, BN, pooling
    /// and CTC not counted).
    public func forwardMACs(width: Int) -> [(layer: String, macs: Int)] {
        let ws = Workspace.dims(config: self, batch: 1, width: width)
        var list = ws.conv.enumerated().map { ("conv\($0.offset + 1)", $0.element.macs) }
        let t = ModelConfig.timeSteps(width: width), h = hidden
        let gates = head == .gru ? 3 : 4
        func rnn(_ inputs: Int) -> Int { 2 * t * gates * h * (inputs + h) }
        list.append(("rnn1", rnn(channels[6])))
        if head == .lstm {
            list.append(("emb", t * 2 * h * h))
            list.append(("rnn2", rnn(h)))
        } else {
            list.append(("rnn2", rnn(2 * h)))
        }
        list.append(("fc", t * 2 * h * classes))
        return list
    }
}
