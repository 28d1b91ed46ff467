// The eval-mode CRNN as an ONNX graph (opset 17) with a dynamic batch and line length:
//
//   image [N, 1, 32, W]  (vertical: [N, 1, H, 32], transposed to [N, 1, 32, H] first)
//   → 7 × (Conv → [BatchNormalization] → Relu → [MaxPool])      → [N, c7, 1, T]
//   → Squeeze(2) → Transpose(2, 0, 1)                             → [T, N, c7]
//   → GRU → GRU (initial state: the first's final one)            (gru head)
//     or LSTM → MatMul + Add (emb) → LSTM                         (lstm head)
//     each bidirectional: Y [T, 2, N, H] → Transpose(0, 2, 1, 3) → Reshape(0, 0, -1) → [T, N, 2H]
//   → MatMul + Add (fc)                                           → logits    [T, N, K]
//   → LogSoftmax(axis 2)                                          → log_probs [T, N, K]
//
// T = W/4 − 3. Recurrent gate blocks are reordered from PyTorch's to ONNX's (RecurrentGates.swift);
// GRUs use linear_before_reset = 1, which is PyTorch's formulation. The charset and the
// preprocessing travel in the model's metadata properties (ONNXMetadata.swift).
import Engine
import Foundation
import SwiftProtobuf

/// Exports checkpoints as ONNX models.
public enum ONNXExport {
    /// The opset the graph is written for; IR version 8 goes with it.
    public static let opset = 17
    static let irVersion = 8

    /// The serialised ONNX model of `checkpoint`'s eval-mode network.
    public static func model(of checkpoint: Checkpoint, modelName: String) throws -> Data {
        var model = Onnx_ModelProto()
        model.irVersion = Int64(irVersion)
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Int64(Self.opset)
        model.opsetImport = [opset]
        model.producerName = "crnn-cluster"
        model.producerVersion = "checkpoint format \(checkpoint.encodedVersion)"
        model.docString = "CRNN text-line recogniser (\(checkpoint.preset ?? "custom layout"), \(checkpoint.config.classes) classes, \(checkpoint.direction.rawValue)); CTC, blank = class 0"
        model.graph = graph(of: checkpoint, name: modelName)
        model.metadataProps = ONNXMetadata.properties(of: checkpoint, modelName: modelName).map {
            var entry = Onnx_StringStringEntryProto()
            entry.key = $0.key
            entry.value = $0.value
            return entry
        }
        return try model.serializedData()
    }

    static func graph(of checkpoint: Checkpoint, name: String) -> Onnx_GraphProto {
        let config = checkpoint.config, tensors = NamedTensors(checkpoint: checkpoint)
        var b = ONNXGraphBuilder(name: name)
        let vertical = checkpoint.direction == .vertical
        b.input("image", vertical
                ? [.named("batch"), .fixed(1), .named("height"), .fixed(32)]
                : [.named("batch"), .fixed(1), .fixed(32), .named("width")])
        var x = "image"
        if vertical { x = b.node("Transpose", [x], name: "upright", attributes: ["perm": .ints([0, 1, 3, 2])])[0] }
        x = convolutions(&b, x, config: config, tensors: tensors)
        let axes = b.int64Initializer("squeeze_axes", [2])
        x = b.node("Squeeze", [x, axes], name: "features")[0]
        x = b.node("Transpose", [x], name: "sequence", attributes: ["perm": .ints([2, 0, 1])])[0]
        switch config.head {
        case .gru:
            let first = recurrent(&b, "rnn1", x, initialState: nil, config: config, tensors: tensors)
            x = recurrent(&b, "rnn2", first.sequence, initialState: first.finalState, config: config, tensors: tensors).sequence
        case .lstm:
            x = recurrent(&b, "rnn1", x, initialState: nil, config: config, tensors: tensors).sequence
            x = linear(&b, "emb", x, tensors: tensors)
            x = recurrent(&b, "rnn2", x, initialState: nil, config: config, tensors: tensors).sequence
        }
        let logits = linear(&b, "fc", x, tensors: tensors, output: "logits")
        b.node("LogSoftmax", [logits], name: "log_probs", attributes: ["axis": .int(2)])
        let sequenceAxes: [ONNXGraphBuilder.Dimension] = [.named("time"), .named("batch"), .fixed(config.classes)]
        b.output("logits", sequenceAxes)
        b.output("log_probs", sequenceAxes)
        return b.graph
    }

    /// conv1 … conv7 with their batch norms, ReLUs and pools; returns [N, c7, 1, T].
    static func convolutions(_ b: inout ONNXGraphBuilder, _ input: String, config: ModelConfig,
                             tensors: NamedTensors) -> String {
        // The engine's own layer table: kernels, paddings and strides as the forward runs them.
        let layers = CRNNModel.layers(config: config)
        var x = input
        for i in 0..<7 {
            let conv = "conv\(i + 1)", d = layers.conv[i]
            let weight = tensors["\(conv).weight"], bias = tensors["\(conv).bias"]
            x = b.node("Conv", [x, b.initializer("\(conv).weight", shape: weight.shape, values: weight.values),
                                b.initializer("\(conv).bias", shape: bias.shape, values: bias.values)],
                       name: conv, attributes: ["kernel_shape": .ints([d.kh, d.kw]), "pads": .ints([d.ph, d.pw, d.ph, d.pw]),
                                                "strides": .ints([d.sh, d.sw])])[0]
            if config.batchNorm[i] {
                let bn = "bn\(i + 1)"
                let inputs = ["weight", "bias", "running_mean", "running_var"].map { field -> String in
                    let t = tensors["\(bn).\(field)"]
                    return b.initializer("\(bn).\(field)", shape: t.shape, values: t.values)
                }
                x = b.node("BatchNormalization", [x] + inputs, name: bn, attributes: ["epsilon": .float(batchNormEpsilon)])[0]
            }
            x = b.node("Relu", [x], name: "relu\(i + 1)")[0]
            if let k = layers.poolAfter[i] {
                let pool = layers.pool[k]
                x = b.node("MaxPool", [x], name: "pool\(i + 1)",
                           attributes: ["kernel_shape": .ints([pool.kh, pool.kw]), "strides": .ints([pool.sh, pool.sw]),
                                        "pads": .ints([pool.ph, pool.pw, pool.ph, pool.pw])])[0]
            }
        }
        return x
    }

    /// A bidirectional GRU or LSTM on [T, N, I]: returns [T, N, 2H] and the final state [2, N, H].
    static func recurrent(_ b: inout ONNXGraphBuilder, _ name: String, _ input: String, initialState: String?,
                          config: ModelConfig, tensors: NamedTensors) -> (sequence: String, finalState: String) {
        let head = config.head, h = config.hidden
        func stacked(_ field: String) -> (shape: [Int], values: [Float]) {
            // ONNX stacks the directions: [2, G·H, …], forward first.
            let forward = tensors["\(name).\(field)_l0"], reverse = tensors["\(name).\(field)_l0_reverse"]
            let block = forward.values.count / head.gateCount
            return ([2] + forward.shape,
                    reorderGateBlocks(forward.values, head: head, blockSize: block)
                        + reorderGateBlocks(reverse.values, head: head, blockSize: block))
        }
        let w = stacked("weight_ih"), r = stacked("weight_hh")
        // B is [2, 2·G·H]: each direction's input bias, then its recurrent bias.
        var bias: [Float] = []
        for suffix in ["", "_reverse"] {
            for field in ["bias_ih", "bias_hh"] {
                let t = tensors["\(name).\(field)_l0\(suffix)"]
                bias += reorderGateBlocks(t.values, head: head, blockSize: h)
            }
        }
        let inputs = [input,
                      b.initializer("\(name).W", shape: w.shape, values: w.values),
                      b.initializer("\(name).R", shape: r.shape, values: r.values),
                      b.initializer("\(name).B", shape: [2, 2 * head.gateCount * h], values: bias),
                      "", initialState ?? ""]
        var attributes: [String: ONNXAttribute] = ["hidden_size": .int(h), "direction": .string("bidirectional")]
        if head == .gru { attributes["linear_before_reset"] = .int(1) }
        // Trailing empty inputs are dropped: an LSTM without initial states takes four.
        var used = inputs
        while used.last == "" { used.removeLast() }
        let outputs = b.node(head == .gru ? "GRU" : "LSTM", used, name: name, outputs: 2, attributes: attributes)
        let perm = b.node("Transpose", [outputs[0]], name: "\(name)_time_batch", attributes: ["perm": .ints([0, 2, 1, 3])])[0]
        let shape = b.int64Initializer("\(name)_concat_shape", [0, 0, -1])
        let sequence = b.node("Reshape", [perm, shape], name: "\(name)_out")[0]
        return (sequence, outputs[1])
    }

    /// `name`.weight [O, I] and `name`.bias [O] applied to [T, N, I]: MatMul with the transpose, Add.
    static func linear(_ b: inout ONNXGraphBuilder, _ name: String, _ input: String, tensors: NamedTensors,
                       output: String? = nil) -> String {
        let weight = tensors["\(name).weight"], bias = tensors["\(name).bias"]
        let (o, i) = (weight.shape[0], weight.shape[1])
        var transposed = [Float](repeating: 0, count: o * i)
        for row in 0..<o { for column in 0..<i { transposed[column * o + row] = weight.values[row * i + column] } }
        let product = b.node("MatMul", [input, b.initializer("\(name).weight_t", shape: [i, o], values: transposed)],
                             name: "\(name)_matmul")[0]
        return b.node("Add", [product, b.initializer("\(name).bias", shape: bias.shape, values: bias.values)],
                      name: output ?? name)[0]
    }
}
