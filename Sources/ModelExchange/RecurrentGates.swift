// PyTorch and ONNX stack a recurrent layer's gate blocks in different orders. Rows of
// weight_ih [G·H, I], weight_hh [G·H, H] and the biases [G·H] are G blocks of H rows each.
//   GRU:  PyTorch r, z, n   →  ONNX z, r, h
//   LSTM: PyTorch i, f, g, o →  ONNX i, o, f, c
import Engine

extension RecurrentHead {
    /// For each ONNX gate block, the PyTorch block it comes from.
    var onnxGateSource: [Int] {
        switch self {
        case .gru: return [1, 0, 2]
        case .lstm: return [0, 3, 1, 2]
        }
    }

    var gateCount: Int { self == .gru ? 3 : 4 }
}

/// `values` (G blocks of `blockSize` values, PyTorch order) with the blocks in ONNX order.
func reorderGateBlocks(_ values: [Float], head: RecurrentHead, blockSize: Int) -> [Float] {
    precondition(values.count == head.gateCount * blockSize)
    var out: [Float] = []
    out.reserveCapacity(values.count)
    for source in head.onnxGateSource {
        out += values[(source * blockSize)..<((source + 1) * blockSize)]
    }
    return out
}
