import Testing
@testable import Engine

@Suite struct LinearTests {
    let rows = 5, I = 4, O = 3

    @Test func forwardMatchesDefinition() {
        var rng = SequenceRandom(seed: 11)
        let x = rng.array(rows * I), w = rng.array(O * I), b = rng.array(O)
        var y = [Float](repeating: .nan, count: rows * O)
        linearForward(y: &y, x: x, weight: w, bias: b, rows: rows, I: I, O: O)
        for r in 0..<rows {
            for o in 0..<O {
                var s = Double(b[o])
                for i in 0..<I { s += Double(x[r * I + i]) * Double(w[o * I + i]) }
                #expect(abs(Double(y[r * O + o]) - s) < 1e-5)
            }
        }
        var noBias = [Float](repeating: .nan, count: rows * O)
        linearForward(y: &noBias, x: x, weight: w, bias: nil, rows: rows, I: I, O: O)
        #expect(abs(noBias[O + 1] + b[1] - y[O + 1]) < 1e-5)
    }

    /// Runs forward, then backward of Σ upstream·y, starting from gradients already holding 1
    /// so the accumulation contract is checked too.
    func gradients(x: [Float], w: [Float], b: [Float], up: [Float]) -> (dx: [Float], dw: [Float], db: [Float]) {
        var dx = [Float](repeating: 1, count: x.count)
        var dw = [Float](repeating: 1, count: w.count)
        var db = [Float](repeating: 1, count: b.count)
        linearBackward(dx: &dx, dWeight: &dw, dBias: &db, dy: up, x: x, weight: w,
                       rows: rows, I: I, O: O)
        return (dx.map { $0 - 1 }, dw.map { $0 - 1 }, db.map { $0 - 1 })
    }

    @Test func gradientsMatchFiniteDifferences() {
        var rng = SequenceRandom(seed: 12)
        var x = rng.array(rows * I), w = rng.array(O * I), b = rng.array(O)
        let up = rng.array(rows * O)
        let g = gradients(x: x, w: w, b: b, up: up)
        func loss(_ x: [Float], _ w: [Float], _ b: [Float]) -> Double {
            var y = [Float](repeating: 0, count: rows * O)
            linearForward(y: &y, x: x, weight: w, bias: b, rows: rows, I: I, O: O)
            return weightedSum(y, up)
        }
        let (wc, bc, xc) = (w, b, x)
        let ex = checkGradient(&x, analytic: g.dx) { loss($0, wc, bc) }
        let ew = checkGradient(&w, analytic: g.dw) { loss(xc, $0, bc) }
        let eb = checkGradient(&b, analytic: g.db) { loss(xc, wc, $0) }
        #expect(ex.ratio < 1, "dx \(ex)")
        #expect(ew.ratio < 1, "dW \(ew)")
        #expect(eb.ratio < 1, "db \(eb)")
    }
}
