// The wire arena both ends of a run agree on: [P + B] = the P parameters (or their gradient)
// followed by the B batch-norm running statistics (or the change a worker's forwards made to
// them). See docs/protocol.md.
import Engine

/// Moving a model's values in and out of the wire arena.
public enum WireArena {
    /// The tensor sizes codecs see: parameter tensors, then running-statistic tensors.
    public static func layout(of model: CRNNModel) -> [Int] {
        (model.parameters.layout.slices + model.buffers.layout.slices).map(\.count)
    }

    /// Values in `model`'s arena.
    public static func count(of model: CRNNModel) -> Int { model.parameters.count + model.buffers.count }

    /// Writes a push into `wire`: the model's gradients, then its running statistics minus
    /// `baseline` (their values at the last push or pull).
    public static func gatherPush(from model: CRNNModel, baseline: [Float], into wire: inout [Float]) {
        let p = model.parameters.count, b = model.buffers.count
        precondition(wire.count == p + b && baseline.count == b, "wire arena of the wrong size")
        wire.withUnsafeMutableBufferPointer { out in
            out.baseAddress!.update(from: model.gradients.pointer, count: p)
            let running = model.buffers.pointer
            for i in 0..<b { out[p + i] = running[i] - baseline[i] }
        }
    }

    /// Loads pulled values (parameters, then running statistics) into `model`.
    public static func load(_ wire: [Float], into model: CRNNModel) {
        let p = model.parameters.count
        precondition(wire.count == p + model.buffers.count, "wire arena of the wrong size")
        wire.withUnsafeBufferPointer { values in
            model.parameters.pointer.update(from: values.baseAddress!, count: p)
            model.buffers.pointer.update(from: values.baseAddress! + p, count: model.buffers.count)
        }
    }
}
