import Testing
@testable import Engine

@Suite struct MaxPool2DTests {
    static let shapes: [PoolDims] = [
        PoolDims(planes: 3, h: 4, w: 6, kh: 2, kw: 2, sh: 2, sw: 2),
        PoolDims(planes: 2, h: 4, w: 5, kh: 2, kw: 2, sh: 2, sw: 1),          // the CRNN's (2,1)
        PoolDims(planes: 2, h: 5, w: 5, kh: 3, kw: 2, sh: 2, sw: 1, ph: 1, pw: 1),
    ]

    func forward(_ x: [Float], _ d: PoolDims) -> (y: [Float], idx: [Int32]) {
        var y = [Float](repeating: 0, count: d.outputCount)
        var idx = [Int32](repeating: -1, count: d.outputCount)
        maxPool2DForward(&y, indices: &idx, x, d)
        return (y, idx)
    }

    /// Values with gaps of at least 0.05 between any two, so ε = 1e-2 never flips an argmax.
    func distinctValues(_ count: Int, seed: UInt64) -> [Float] {
        let order = randomFloats(count, seed: seed).enumerated().sorted { $0.element < $1.element }
        var x = [Float](repeating: 0, count: count)
        for (rank, item) in order.enumerated() { x[item.offset] = Float(rank) * 0.05 - 1 }
        return x
    }

    @Test(arguments: shapes)
    func forwardTakesWindowMaximum(d: PoolDims) {
        let x = distinctValues(d.inputCount, seed: 1)
        let (y, idx) = forward(x, d)
        for p in 0..<d.planes { for oy in 0..<d.ho { for ox in 0..<d.wo {
            var best = -Float.infinity
            for iy in (oy * d.sh - d.ph)..<(oy * d.sh - d.ph + d.kh) where iy >= 0 && iy < d.h {
                for ix in (ox * d.sw - d.pw)..<(ox * d.sw - d.pw + d.kw) where ix >= 0 && ix < d.w {
                    best = max(best, x[(p * d.h + iy) * d.w + ix])
                }
            }
            let o = (p * d.ho + oy) * d.wo + ox
            #expect(y[o] == best)
            #expect(x[p * d.h * d.w + Int(idx[o])] == best)
        }}}
    }

    @Test(arguments: shapes)
    func backwardMatchesFiniteDifferences(d: PoolDims) {
        var x = distinctValues(d.inputCount, seed: 2)
        let r = randomFloats(d.outputCount, seed: 3)
        let (_, idx) = forward(x, d)
        var dx = [Float](repeating: 0, count: x.count)
        maxPool2DBackward(dx: &dx, dy: r, indices: idx, d)
        #expect(gradientMismatch(of: &x, analytic: dx, limit: 200) { dot(forward($0, d).y, r) } <= 1)
    }

    /// The eval forward's values-only pooling gives the training forward's values: ties, ±∞ and
    /// NaN (which both propagate) included.
    @Test(arguments: shapes.filter { $0.kh == 2 && $0.kw == 2 && $0.ph == 0 })
    func valuesOnlyPoolingMatchesTheTrainingForward(d: PoolDims) {
        var x = randomFloats(d.inputCount, seed: 9).map { ($0 * 4).rounded() / 4 }  // many ties
        x[1] = .nan; x[d.inputCount / 2] = .infinity; x[d.inputCount - 1] = -.infinity; x[d.inputCount / 3] = .nan
        let expected = forward(x, d).y
        var y = [Float](repeating: 7, count: d.outputCount)
        maxPool2x2ValuesForward(&y, x, d)
        #expect(zip(y, expected).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(y) vs \(expected)")
        #expect(y.contains { $0.isNaN })
    }

    /// The 2×2 fast path against the plain rule (scan the window in order, a larger value or a
    /// NaN takes it, a NaN ends the scan): values and argmax, with ties, ±∞ and NaN.
    @Test(arguments: shapes.filter { $0.kh == 2 && $0.kw == 2 && $0.ph == 0 })
    func twoByTwoPoolingKeepsTheTieAndNaNRules(d: PoolDims) {
        var x = randomFloats(d.inputCount, seed: 4).map { ($0 * 3).rounded() / 3 }  // many ties
        x[d.inputCount / 2] = -.infinity; x[d.inputCount / 2 + 1] = -.infinity
        for withNaN in [false, true] {
            if withNaN { x[3] = .nan; x[d.inputCount - 2] = .nan }
            let (y, idx) = forward(x, d)
            let hw = d.h * d.w
            for p in 0..<d.planes { for oy in 0..<d.ho { for ox in 0..<d.wo {
                var best = -Float.infinity, at = oy * d.sh * d.w + ox * d.sw
                scan: for iy in (oy * d.sh)..<(oy * d.sh + 2) { for ix in (ox * d.sw)..<(ox * d.sw + 2) {
                    let v = x[p * hw + iy * d.w + ix]
                    if v > best || v != v { best = v; at = iy * d.w + ix; if v != v { break scan } }
                } }
                let o = (p * d.ho + oy) * d.wo + ox
                #expect(idx[o] == Int32(at), "plane \(p) window (\(oy), \(ox)), NaN \(withNaN)")
                #expect(y[o] == best || (y[o].isNaN && best.isNaN))
            } } }
        }
    }

    @Test func reluForwardAndBackward() {
        let x: [Float] = [-2, -0.5, 0, 0.5, 3]
        var y = [Float](repeating: 9, count: 5)
        reluForward(&y, x, count: 5)
        #expect(y == [0, 0, 0, 0.5, 3])
        var dy: [Float] = [1, 2, 3, 4, 5]
        reluBackward(&dy, y: y, count: 5)
        #expect(dy == [0, 0, 0, 4, 5])
    }
}
