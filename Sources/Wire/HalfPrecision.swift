// 16-bit float conversions for the gradient codecs.
//
// Swift's `Float16` conversions call a runtime routine per element on x86-64 without F16C
// (measured here: 13 ns per Float16→Float), so these are branch-free bit manipulations the
// compiler vectorises. Algorithms after F. Giesen, "float->half variants" (round to nearest even).
//
// Shapes: every function maps n Float ↔ n UInt16 bit patterns.

/// The 16-bit value formats a codec can store.
public enum HalfFormat: UInt8, Sendable, CaseIterable {
    /// IEEE binary16 (5-bit exponent, 10-bit mantissa) after a per-tensor power-of-two scale.
    case fp16 = 1
    /// bfloat16 (8-bit exponent, 7-bit mantissa): fp32's range, no scale needed.
    case bf16 = 2

    /// The name used inside codec names (`fp16`, `bf16`).
    public var label: String { self == .fp16 ? "fp16" : "bf16" }
}

/// Converts a finite Float to binary16 bits, rounding to nearest even.
///
/// Inputs must be finite with |x| < 65520 (the codecs scale tensors so this holds);
/// larger magnitudes saturate to infinity's bit pattern, which decoders reject.
@inline(__always)
func floatToHalfBits(_ x: Float) -> UInt16 {
    let bits = x.bitPattern
    let sign = bits & 0x8000_0000
    let magnitude = bits ^ sign
    // Subnormal half: align the 10 mantissa bits at the bottom with a magic addend
    // (float addition rounds to nearest even for us).
    let denormMagic = Float(bitPattern: UInt32((127 - 15) + (23 - 10) + 1) << 23)
    let subnormal = (Float(bitPattern: magnitude) + denormMagic).bitPattern &- denormMagic.bitPattern
    // Normal half: rebias the exponent and round to nearest even by hand.
    let odd = (magnitude >> 13) & 1
    let normal = (magnitude &+ (UInt32(bitPattern: Int32(15 - 127) << 23) &+ 0xFFF) &+ odd) >> 13
    let overflow: UInt32 = 0x7C00
    var half = magnitude < (113 << 23) ? subnormal : normal
    half = magnitude >= (143 << 23) ? overflow : half
    return UInt16(truncatingIfNeeded: half | (sign >> 16))
}

/// Converts binary16 bits to Float. Infinity and NaN patterns map to large finite garbage:
/// decoders check `isHalfFinite` first.
@inline(__always)
func halfBitsToFloat(_ h: UInt16) -> Float {
    let shifted = UInt32(h & 0x7FFF) << 13
    let exponent = shifted & (0x7C00 << 13)
    let normal = Float(bitPattern: shifted &+ (UInt32(127 - 15) << 23))
    // Zero and subnormals: build 2^-14-scaled value from the magic constant and subtract it.
    let magic = Float(bitPattern: 113 << 23)
    let subnormal = Float(bitPattern: shifted &+ (UInt32(127 - 15 + 1) << 23)) - magic
    let value = exponent == 0 ? subnormal : normal
    return Float(bitPattern: value.bitPattern | (UInt32(h & 0x8000) << 16))
}

/// Whether binary16 bits are finite (exponent not all ones).
@inline(__always)
func isHalfFinite(_ h: UInt16) -> Bool { h & 0x7C00 != 0x7C00 }

/// Converts a finite Float to bfloat16 bits, rounding to nearest even.
@inline(__always)
func floatToBFloatBits(_ x: Float) -> UInt16 {
    let bits = x.bitPattern
    let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
    return UInt16(truncatingIfNeeded: rounded >> 16)
}

/// Converts bfloat16 bits to Float.
@inline(__always)
func bfloatBitsToFloat(_ h: UInt16) -> Float { Float(bitPattern: UInt32(h) << 16) }

/// Whether bfloat16 bits are finite.
@inline(__always)
func isBFloatFinite(_ h: UInt16) -> Bool { h & 0x7F80 != 0x7F80 }

/// The power-of-two exponent `e` that maps a tensor whose largest magnitude is `maxMagnitude`
/// into [2^14, 2^15) when multiplied by 2^e: near fp16's top, with headroom so rounding never
/// reaches infinity. Zero for an all-zero tensor.
func fp16ScaleExponent(maxMagnitude: Float) -> Int {
    guard maxMagnitude > 0, maxMagnitude.isFinite else { return 0 }
    return 14 - Int(maxMagnitude.exponent)
}

/// 2^e as a pair of Float factors, so exponents beyond Float's range (tiny tensors need e up to
/// about 163) still scale exactly: x * a * b.
@inline(__always)
func powerOfTwoFactors(_ e: Int) -> (Float, Float) {
    let first = e / 2
    return (Float(sign: .plus, exponent: first, significand: 1),
            Float(sign: .plus, exponent: e - first, significand: 1))
}

/// Converts `source` to 16-bit patterns, `source[i] * 2^scaleExponent` for fp16.
func encodeHalves(
    _ source: UnsafeBufferPointer<Float>, format: HalfFormat, scaleExponent: Int,
    into output: UnsafeMutableBufferPointer<UInt16>
) {
    precondition(output.count >= source.count, "half output buffer too small")
    switch format {
    case .fp16:
        let (a, b) = powerOfTwoFactors(scaleExponent)
        for i in 0..<source.count { output[i] = floatToHalfBits(source[i] * a * b) }
    case .bf16:
        for i in 0..<source.count { output[i] = floatToBFloatBits(source[i]) }
    }
}

/// Converts 16-bit patterns back to Float, undoing the scale.
///
/// - Throws: `CodecError.corrupt` when a pattern is infinity or NaN (a hostile payload must not
///   poison the parameters).
func decodeHalves(
    _ source: UnsafeBufferPointer<UInt16>, format: HalfFormat, scaleExponent: Int,
    into output: UnsafeMutableBufferPointer<Float>
) throws {
    precondition(output.count >= source.count, "float output buffer too small")
    // An OR-accumulated flag instead of an early exit keeps the loops vectorisable.
    var special: UInt16 = 0
    switch format {
    case .fp16:
        let (a, b) = powerOfTwoFactors(-scaleExponent)
        for i in 0..<source.count {
            special |= (source[i] & 0x7C00) == 0x7C00 ? 1 : 0
            output[i] = halfBitsToFloat(source[i]) * a * b
        }
    case .bf16:
        for i in 0..<source.count {
            special |= (source[i] & 0x7F80) == 0x7F80 ? 1 : 0
            output[i] = bfloatBitsToFloat(source[i])
        }
    }
    if special != 0 { throw CodecError.corrupt("a 16-bit value is infinite or NaN") }
}
