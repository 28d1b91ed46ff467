// NumPy's .npy format (version 1.0) for float32 arrays: magic, header length, a Python dict
// literal padded to 64 bytes, then the little-endian values. `numpy.load` reads it.
import Foundation

public enum NumpyArray {
    /// The .npy bytes of `values` with `shape` (row-major).
    public static func encode(_ values: [Float], shape: [Int]) -> [UInt8] {
        precondition(shape.reduce(1, *) == values.count, "npy: \(values.count) values for shape \(shape)")
        let dims = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let length = UInt16(header.utf8.count)
        out += [UInt8(length & 0xFF), UInt8(length >> 8)]
        out += Array(header.utf8)
        values.withUnsafeBytes { out += $0 }
        return out
    }

    /// Writes `values` to `path` as .npy.
    public static func write(_ values: [Float], shape: [Int], to path: String) throws {
        try Data(encode(values, shape: shape)).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
