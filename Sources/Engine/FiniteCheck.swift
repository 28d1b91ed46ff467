// Whether a gradient or parameter arena holds only finite values, in one pass that vectorises:
// a float is NaN or ±∞ exactly when its exponent bits are all ones, so the largest magnitude
// bit pattern decides. `allSatisfy(\.isFinite)` branches per value and a floating-point sum
// (∑ v × 0) cannot be reordered: on the 23.6 M values of the seed preset they take 13 and 20 ms,
// this 4.5 ms (release build, this machine).

/// Whether no value is NaN or ±∞.
public func allFinite(_ values: UnsafeBufferPointer<Float>) -> Bool {
    values.withMemoryRebound(to: UInt32.self) { bits in
        var largest: UInt32 = 0
        for pattern in bits { largest = max(largest, pattern & 0x7fff_ffff) }
        return largest < 0x7f80_0000
    }
}

/// Whether no value is NaN or ±∞.
public func allFinite(_ values: [Float]) -> Bool {
    values.withUnsafeBufferPointer { allFinite($0) }
}
