// PyTorch state dicts as `torch.save` writes them (format of PyTorch ≥ 1.6): a stored zip with
// PREFIX/data.pkl (pickle protocol 2: an OrderedDict of name → _rebuild_tensor_v2(storage, offset,
// size, stride, requires_grad, hooks)), PREFIX/data/KEY (each storage's little-endian values),
// PREFIX/byteorder and PREFIX/version. Read without PyTorch and without running any pickle code.
import Engine

/// Why a state dict could not be read.
public enum TorchStateDictError: Error, CustomStringConvertible, Equatable {
    case container(String)
    case legacyFormat
    case pickle(String)
    case notAStateDict(String)
    case tensor(name: String, reason: String)

    public var description: String {
        switch self {
        case .container(let why): return "not a PyTorch zip file: \(why)"
        case .legacyFormat:
            return "a legacy torch.save file (PyTorch < 1.6); load it with PyTorch and save it again: torch.save(torch.load(f, map_location='cpu'), 'new.pth')"
        case .pickle(let why): return "its data.pkl cannot be read: \(why)"
        case .notAStateDict(let why): return "not a state dict: \(why)"
        case .tensor(let name, let why): return "tensor \(name): \(why)"
        }
    }
}

public enum TorchStateDict {
    /// `tensors` as a `torch.save` file of an OrderedDict, float32 (the batch norms'
    /// num_batches_tracked as int64 zeros, as a fresh PyTorch module has them).
    public static func archive(_ tensors: NamedTensors, name: String) throws -> [UInt8] {
        var pickle = PickleWriter()
        var storages: [[UInt8]] = []
        pickle.beginOrderedDict()
        for tensorName in tensors.names {
            let tensor = tensors[tensorName]
            pickle.tensor(key: tensorName, storage: "\(storages.count)", storageType: "FloatStorage",
                          shape: tensor.shape, count: tensor.values.count)
            storages.append(tensor.values.withUnsafeBytes { Array($0) })
            if tensorName.hasSuffix(".running_var") {
                let counter = String(tensorName.dropLast(".running_var".count)) + ".num_batches_tracked"
                pickle.tensor(key: counter, storage: "\(storages.count)", storageType: "LongStorage", shape: [], count: 1)
                storages.append([UInt8](repeating: 0, count: 8))
            }
        }
        var zip = StoredZipWriter()
        let prefix = "archive"
        zip.add("\(prefix)/data.pkl", pickle.finished())
        zip.add("\(prefix)/byteorder", Array("little".utf8))
        for (key, storage) in storages.enumerated() { zip.add("\(prefix)/data/\(key)", storage) }
        zip.add("\(prefix)/version", Array("3\n".utf8))
        return zip.finished()
    }

    /// The float tensors of a state-dict file, by name in file order; `num_batches_tracked` and
    /// other integer tensors are left out. A checkpoint dict holding the state dict under
    /// "state_dict" or "model" (as training scripts save them) is looked into, and a common
    /// "module." prefix (DataParallel) is dropped.
    public static func read(_ bytes: [UInt8]) throws -> [(name: String, tensor: NamedTensor)] {
        if bytes.starts(with: [0x80, 0x02, 0x8A, 0x0A]) { throw TorchStateDictError.legacyFormat }
        let zip: StoredZipReader
        do { zip = try StoredZipReader(bytes) } catch let error as ZipError {
            throw TorchStateDictError.container(error.description)
        }
        guard let pickleName = zip.names.first(where: { $0.hasSuffix("data.pkl") && $0.split(separator: "/").count == 2 }) else {
            throw TorchStateDictError.container("no data.pkl record (records: \(zip.names.prefix(5).joined(separator: ", ")))")
        }
        let prefix = String(pickleName.dropLast("data.pkl".count))
        if let order = zip.records[prefix + "byteorder"], String(decoding: bytes[order], as: UTF8.self) != "little" {
            throw TorchStateDictError.container("big-endian tensors are not supported")
        }
        let root: PickleValue
        do { root = try PickleReader.read(Array(bytes[zip.records[pickleName]!])) } catch let error as PickleError {
            throw TorchStateDictError.pickle(error.description)
        }
        let entries = try stateDictEntries(root)
        var out: [(name: String, tensor: NamedTensor)] = []
        for (name, value) in entries {
            guard let tensor = try TensorReference(value, name: name).read(from: bytes, archive: zip, prefix: prefix) else { continue }
            out.append((name, tensor))
        }
        return out
    }

    /// The name → value pairs of the state dict inside `root`.
    static func stateDictEntries(_ root: PickleValue) throws -> [(String, PickleValue)] {
        guard case .dict(let pairs) = root else { throw TorchStateDictError.notAStateDict("the file holds \(kind(of: root)), not a dict") }
        for wrapper in ["state_dict", "model", "model_state_dict"] {
            if let inner = pairs.first(where: { $0.key == .string(wrapper) })?.value, case .dict = inner {
                return try stateDictEntries(inner)
            }
        }
        var entries: [(String, PickleValue)] = []
        for (key, value) in pairs {
            guard case .string(let name) = key else { throw TorchStateDictError.notAStateDict("a key is \(kind(of: key)), not a name") }
            entries.append((name, value))
        }
        if !entries.isEmpty, entries.allSatisfy({ $0.0.hasPrefix("module.") }) {
            entries = entries.map { (String($0.0.dropFirst("module.".count)), $0.1) }
        }
        return entries
    }

    static func kind(of value: PickleValue) -> String {
        switch value {
        case .none: return "None"
        case .bool: return "a bool"
        case .int: return "an int"
        case .float: return "a float"
        case .string: return "a string"
        case .bytes: return "bytes"
        case .tuple: return "a tuple"
        case .list: return "a list"
        case .dict: return "a dict"
        case .global(let m, let n): return "\(m).\(n)"
        case .call(let callable, _, _): return "a \(kind(of: callable)) object"
        case .persistent: return "a persistent reference"
        }
    }
}

/// A `_rebuild_tensor_v2` call: which storage, where in it, what shape.
private struct TensorReference {
    let storageKey: String
    let storageType: String
    let offset: Int
    let shape: [Int]
    let strides: [Int]
    let name: String

    init(_ value: PickleValue, name: String) throws {
        self.name = name
        var call = value
        // nn.Parameter wraps the tensor (whole modules saved, not state dicts).
        if case .call(.global("torch._utils", "_rebuild_parameter"), let arguments, _) = call, let inner = arguments.first {
            call = inner
        }
        guard case .call(.global("torch._utils", "_rebuild_tensor_v2"), let arguments, _) = call, arguments.count >= 4 else {
            throw TorchStateDictError.tensor(name: name, reason: "is \(TorchStateDict.kind(of: value)), not a tensor")
        }
        guard case .persistent(.tuple(let id)) = arguments[0], id.count >= 5, id[0] == .string("storage"),
              case .global(_, let type) = id[1], case .string(let key) = id[2] else {
            throw TorchStateDictError.tensor(name: name, reason: "its storage reference is not PyTorch's")
        }
        guard case .int(let offset) = arguments[1], case .tuple(let size) = arguments[2], case .tuple(let stride) = arguments[3] else {
            throw TorchStateDictError.tensor(name: name, reason: "offset, size or stride malformed")
        }
        func ints(_ values: [PickleValue]) throws -> [Int] {
            try values.map {
                guard case .int(let v) = $0, v >= 0 else { throw TorchStateDictError.tensor(name: name, reason: "size or stride malformed") }
                return v
            }
        }
        self.storageKey = key
        self.storageType = type
        self.offset = offset
        self.shape = try ints(size)
        self.strides = try ints(stride)
        guard shape.count == strides.count, offset >= 0 else {
            throw TorchStateDictError.tensor(name: name, reason: "size and stride disagree")
        }
    }

    /// No CRNN tensor comes near this (the seed preset's largest: 15.7 M elements).
    static let maximumElements = 1 << 30

    /// The values as float32, or nil for an integer tensor (num_batches_tracked and the like).
    func read(from bytes: [UInt8], archive: StoredZipReader, prefix: String) throws -> NamedTensor? {
        let width: Int
        switch storageType {
        case "FloatStorage": width = 4
        case "HalfStorage": width = 2
        case "DoubleStorage": width = 8
        case "LongStorage", "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage": return nil
        default: throw TorchStateDictError.tensor(name: name, reason: "element type \(storageType) is not supported (float32, float16 or float64)")
        }
        guard let range = archive.records["\(prefix)data/\(storageKey)"] else {
            throw TorchStateDictError.tensor(name: name, reason: "its storage \(storageKey) is missing from the file (truncated?)")
        }
        // Sizes come from the file: multiply without trapping on a hostile overflow.
        func product(_ a: Int, _ b: Int) -> Int? {
            let (value, overflow) = a.multipliedReportingOverflow(by: b)
            return overflow ? nil : value
        }
        var count: Int? = 1
        for size in shape { count = count.flatMap { product($0, size) } }
        // The furthest element the strides reach must lie inside the storage.
        var last: Int? = offset
        for (size, stride) in zip(shape, strides) where size > 0 {
            last = last.flatMap { l in product(size - 1, stride).map { l &+ $0 } }.flatMap { $0 < 0 ? nil : $0 }
        }
        guard let count, let last, count <= Self.maximumElements else {
            throw TorchStateDictError.tensor(name: name, reason: "shape \(shape) is too large (more than \(Self.maximumElements) elements)")
        }
        guard count == 0 || product(last + 1, width).map({ $0 <= range.count }) == true else {
            throw TorchStateDictError.tensor(name: name, reason: "shape \(shape) reaches past its storage of \(range.count / width) elements (truncated?)")
        }
        var rowMajor = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { rowMajor[d] = rowMajor[d + 1] * shape[d + 1] }
        if width == 4 && (strides == rowMajor || count <= 1) {
            // The common case: a contiguous float32 tensor, copied as it lies.
            let start = range.lowerBound + offset * 4
            let values = bytes[start..<(start + count * 4)].withUnsafeBytes { raw in
                (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            }
            return NamedTensor(shape: shape, values: values)
        }
        var values = [Float](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: shape.count)
        for i in 0..<count {
            var element = offset
            for d in 0..<shape.count { element += index[d] * strides[d] }
            values[i] = Self.element(bytes, at: range.lowerBound + element * width, width: width)
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return NamedTensor(shape: shape, values: values)
    }

    private static func element(_ bytes: [UInt8], at p: Int, width: Int) -> Float {
        var raw: UInt64 = 0
        for i in (0..<width).reversed() { raw = raw << 8 | UInt64(bytes[p + i]) }
        switch width {
        case 2: return Float(Float16(bitPattern: UInt16(raw)))
        case 8: return Float(Double(bitPattern: raw))
        default: return Float(bitPattern: UInt32(raw))
        }
    }
}
