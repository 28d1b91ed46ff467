/// Exact top-k selection by magnitude without sorting: a two-level radix select.
///
/// The bit pattern of |x| (sign cleared) orders like |x| itself, so a histogram of its top
/// 15 bits finds the bucket that holds the k-th largest value, a second histogram of that
/// bucket's low 16 bits finds the exact threshold, and one last pass gathers the indices.
/// Three streaming passes, O(n), no copy of the tensor, no allocation per call.
struct TopKSelector {
    private var coarse = [UInt32](repeating: 0, count: 1 << 15)
    private var fine = [UInt32](repeating: 0, count: 1 << 16)

    /// Appends, in ascending order, the indices of the `keep` largest-magnitude non-zero values.
    ///
    /// Ties at the threshold are broken by position (earlier first), so exactly
    /// `min(keep, nonZeroCount)` indices are appended. Values must be finite.
    mutating func select(_ values: UnsafeBufferPointer<Float>, keep: Int, appendingTo indices: inout [UInt32]) {
        guard keep > 0, !values.isEmpty else { return }
        guard keep < values.count else {
            for i in 0..<values.count where values[i] != 0 { indices.append(UInt32(i)) }
            return
        }
        let (threshold, ties) = self.threshold(values, keep: keep)
        var tiesLeft = ties
        for i in 0..<values.count {
            let m = values[i].bitPattern & 0x7FFF_FFFF
            if m > threshold {
                indices.append(UInt32(i))
            } else if m == threshold && tiesLeft > 0 {
                indices.append(UInt32(i))
                tiesLeft -= 1
            }
        }
    }

    /// The magnitude bits of the k-th largest value and how many values equal to it to keep.
    /// A zero threshold keeps no ties: zeros are never worth sending.
    private mutating func threshold(_ values: UnsafeBufferPointer<Float>, keep: Int) -> (UInt32, Int) {
        coarse.withUnsafeMutableBufferPointer { counts in
            counts.update(repeating: 0)
            for v in values { counts[Int((v.bitPattern & 0x7FFF_FFFF) >> 16)] &+= 1 }
        }
        let (bucket, aboveBucket) = walkDown(coarse, until: keep)
        let wanted = keep - aboveBucket
        fine.withUnsafeMutableBufferPointer { counts in
            counts.update(repeating: 0)
            let high = UInt32(bucket)
            for v in values {
                let m = v.bitPattern & 0x7FFF_FFFF
                if m >> 16 == high { counts[Int(m & 0xFFFF)] &+= 1 }
            }
        }
        let (low, aboveLow) = walkDown(fine, until: wanted)
        let threshold = UInt32(bucket) << 16 | UInt32(low)
        return (threshold, threshold == 0 ? 0 : wanted - aboveLow)
    }

    /// Walks histogram bins from the top; returns the first bin at which the running count
    /// reaches `target`, and the count strictly above that bin.
    private func walkDown(_ counts: [UInt32], until target: Int) -> (bin: Int, above: Int) {
        var above = 0
        var bin = counts.count - 1
        while bin > 0 && above + Int(counts[bin]) < target {
            above += Int(counts[bin])
            bin -= 1
        }
        return (bin, above)
    }
}
