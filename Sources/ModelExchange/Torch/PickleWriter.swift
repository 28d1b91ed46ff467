// Writes the pickle (protocol 2) of a PyTorch state dict: an OrderedDict of tensors rebuilt by
// torch._utils._rebuild_tensor_v2 from persistent storage ids, the stream torch.save writes and
// torch.load(weights_only=True) accepts.

struct PickleWriter {
    private var bytes: [UInt8] = [0x80, 0x02]  // PROTO 2

    mutating func beginOrderedDict() {
        global("collections", "OrderedDict")
        bytes += [0x29, 0x52]  // EMPTY_TUPLE, REDUCE
    }

    /// `key` → a tensor of `shape` over the whole storage `storage` (`count` elements), contiguous
    /// unless `strides` says otherwise.
    mutating func tensor(key: String, storage: String, storageType: String, shape: [Int], count: Int, strides: [Int]? = nil) {
        string(key)
        global("torch._utils", "_rebuild_tensor_v2")
        bytes.append(0x28)                                // MARK (arguments)
        bytes.append(0x28)                                // MARK (persistent id)
        string("storage")
        global("torch", storageType)
        string(storage)
        string("cpu")
        int(count)
        bytes += [0x74, 0x51]                             // TUPLE, BINPERSID
        int(0)                                            // storage offset
        tuple(shape.map { $0 })
        if let strides {
            tuple(strides)
        } else {
            var rowMajor = [Int](repeating: 1, count: shape.count)
            for d in stride(from: shape.count - 2, through: 0, by: -1) { rowMajor[d] = rowMajor[d + 1] * shape[d + 1] }
            tuple(rowMajor)
        }
        bytes.append(0x89)                                // NEWFALSE: requires_grad
        global("collections", "OrderedDict")              // backward hooks
        bytes += [0x29, 0x52]
        bytes += [0x74, 0x52]                             // TUPLE, REDUCE
        bytes.append(0x73)                                // SETITEM
    }

    /// The finished stream.
    func finished() -> [UInt8] { bytes + [0x2E] }        // STOP

    private mutating func global(_ module: String, _ name: String) {
        bytes.append(0x63)
        bytes += Array(module.utf8) + [0x0A] + Array(name.utf8) + [0x0A]
    }

    private mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        bytes.append(0x58)
        withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { bytes += $0 }
        bytes += utf8
    }

    private mutating func int(_ v: Int) {
        bytes.append(0x4A)
        withUnsafeBytes(of: Int32(v).littleEndian) { bytes += $0 }
    }

    private mutating func tuple(_ values: [Int]) {
        bytes.append(0x28)
        for v in values { int(v) }
        bytes.append(0x74)
    }
}
