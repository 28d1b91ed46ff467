// A state dict's tensors checked against a preset's layout and made into a checkpoint.
import Engine

public enum TorchImport {
    /// The checkpoint of `tensors` read as `config`'s layout: every parameter and batch-norm
    /// statistic present with its shape, nothing else but integer counters.
    /// - Throws: `TorchStateDictError.tensor` naming the first missing, extra, misshapen or
    ///   non-finite tensor.
    public static func checkpoint(_ tensors: [(name: String, tensor: NamedTensor)], preset: String?, config: ModelConfig,
                                  charset: [String], direction: TextDirection, imageWidth: Int) throws -> Checkpoint {
        let byName = Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        let layout = preset.map { "\($0) layout" } ?? "layout"
        let known = Set((config.parameterShapes + config.bufferShapes).map(\.name))
        if let extra = tensors.first(where: { !known.contains($0.name) }) {
            throw TorchStateDictError.tensor(name: extra.name, reason: "is not part of the \(layout) (\(layoutSummary(config))); is the file of another architecture?")
        }
        func values(_ shapes: [(name: String, shape: [Int])]) throws -> [Float] {
            var out: [Float] = []
            for (name, shape) in shapes {
                guard let tensor = byName[name] else {
                    throw TorchStateDictError.tensor(name: name, reason: "missing: the \(layout) needs it with shape \(shape)")
                }
                guard tensor.shape == shape else {
                    let hint = name == "fc.weight" || name == "fc.bias"
                        ? " (the charset has \(charset.count) characters + blank = \(config.classes) classes)" : ""
                    throw TorchStateDictError.tensor(name: name, reason: "has shape \(tensor.shape), the \(layout) needs \(shape)\(hint)")
                }
                if let bad = tensor.values.firstIndex(where: { !$0.isFinite }) {
                    throw TorchStateDictError.tensor(name: name, reason: "element \(bad) is \(tensor.values[bad]), not a finite number")
                }
                out += tensor.values
            }
            return out
        }
        guard config.classes == charset.count + 1 else {
            throw TorchStateDictError.tensor(name: "fc.weight", reason: "has \(config.classes) rows (classes), the charset \(charset.count) characters + blank = \(charset.count + 1)")
        }
        let parameters = try values(config.parameterShapes), buffers = try values(config.bufferShapes)
        return Checkpoint(preset: preset, config: config, charset: charset, direction: direction,
                          imageHeight: direction == .vertical ? imageWidth : 32,
                          imageWidth: direction == .vertical ? 32 : imageWidth,
                          step: 0, metrics: [:], parameters: parameters, buffers: buffers)
    }

    /// The layout the tensors describe: conv widths from convN.weight, batch norms from bnN,
    /// the head from emb (LSTM) and the gate count, the hidden size from rnn1.weight_hh_l0, the
    /// classes from fc.weight.
    /// - Throws: `TorchStateDictError.tensor` naming the tensor that is missing or misshapen.
    public static func inferredConfig(_ tensors: [(name: String, tensor: NamedTensor)]) throws -> ModelConfig {
        let byName = Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        func shape(_ name: String, rank: Int) throws -> [Int] {
            guard let tensor = byName[name] else {
                throw TorchStateDictError.tensor(name: name, reason: "missing: every CRNN layout has it (conv1 … conv7, rnn1, rnn2, fc)")
            }
            guard tensor.shape.count == rank, tensor.shape.allSatisfy({ $0 > 0 }) else {
                throw TorchStateDictError.tensor(name: name, reason: "has shape \(tensor.shape), expected \(rank) positive sizes")
            }
            return tensor.shape
        }
        let channels = try (1...7).map { try shape("conv\($0).weight", rank: 4)[0] }
        let recurrent = try shape("rnn1.weight_hh_l0", rank: 2)
        let hidden = recurrent[1]
        let head: RecurrentHead = byName["emb.weight"] == nil ? .gru : .lstm
        guard recurrent[0] == head.gateCount * hidden else {
            throw TorchStateDictError.tensor(name: "rnn1.weight_hh_l0", reason: "has shape \(recurrent): a \(head == .gru ? "GRU" : "LSTM") of hidden size \(hidden) needs [\(head.gateCount * hidden), \(hidden)]")
        }
        let classes = try shape("fc.weight", rank: 2)[0]
        let batchNorm = (1...7).map { byName["bn\($0).weight"] != nil }
        return ModelConfig(channels: channels, head: head, hidden: hidden, classes: classes, batchNorm: batchNorm)
    }

    private static func layoutSummary(_ config: ModelConfig) -> String {
        let names = config.parameterShapes.map(\.name)
        return "\(names.prefix(3).joined(separator: ", ")), … \(names.last ?? "")"
    }
}
