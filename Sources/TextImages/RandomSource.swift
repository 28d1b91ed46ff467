// A small deterministic RNG: xoshiro256** seeded through SplitMix64. Not the system RNG, because
// a shard must render bit for bit the same on every machine and Swift release.

/// SplitMix64 step: the seeding function recommended for xoshiro, also a good 64-bit mixer.
@inline(__always)
func splitMix64(_ state: inout UInt64) -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// xoshiro256** (Blackman and Vigna), seeded from (seed, index) so that every sample of a shard
/// has its own independent stream.
public struct RandomSource {
    private var s0, s1, s2, s3: UInt64

    public init(seed: UInt64, index: UInt64 = 0) {
        var sm = seed
        let mixedIndex = splitMix64(&sm) ^ index
        var state = mixedIndex &* 0xD605_BBB5_8C8A_BBB5 ^ seed
        s0 = splitMix64(&state); s1 = splitMix64(&state)
        s2 = splitMix64(&state); s3 = splitMix64(&state)
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in 0..<n (Lemire's multiply-shift; the tiny bias is irrelevant here and keeps it
    /// branch-free, hence reproducible draw counts).
    @inline(__always)
    public mutating func int(_ n: Int) -> Int {
        precondition(n > 0, "RandomSource.int needs a positive bound")
        return Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// Uniform in `range` (inclusive).
    @inline(__always)
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + int(range.upperBound - range.lowerBound + 1)
    }

    /// Uniform in [0, 1).
    @inline(__always)
    public mutating func unit() -> Float {
        Float(next() >> 40) * (1 / Float(1 << 24))
    }

    /// Uniform in [lo, hi).
    @inline(__always)
    public mutating func float(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * unit() }

    /// True with probability `p`.
    @inline(__always)
    public mutating func chance(_ p: Float) -> Bool { unit() < p }
}
