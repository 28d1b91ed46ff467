import Testing
@testable import Engine

@Suite struct Conv2DTests {
    /// Direct convolution in Double on the CNHW layout, the reference for the forward.
    func reference(_ x: [Float], _ w: [Float], _ b: [Float], _ d: ConvDims) -> [Float] {
        var y = [Float](repeating: 0, count: d.outputCount)
        for o in 0..<d.o { for n in 0..<d.n { for oy in 0..<d.ho { for ox in 0..<d.wo {
            var sum = Double(b[o])
            for c in 0..<d.c { for i in 0..<d.kh { for j in 0..<d.kw {
                let iy = oy * d.sh - d.ph + i, ix = ox * d.sw - d.pw + j
                if iy >= 0 && iy < d.h && ix >= 0 && ix < d.w {
                    sum += Double(x[((c * d.n + n) * d.h + iy) * d.w + ix])
                        * Double(w[((o * d.c + c) * d.kh + i) * d.kw + j])
                }
            }}}
            y[((o * d.n + n) * d.ho + oy) * d.wo + ox] = Float(sum)
        }}}}
        return y
    }

    static let shapes: [ConvDims] = [
        ConvDims(n: 2, c: 3, h: 5, w: 7, o: 4, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1),
        ConvDims(n: 3, c: 2, h: 4, w: 6, o: 3, kh: 2, kw: 2),
        ConvDims(n: 2, c: 2, h: 7, w: 6, o: 2, kh: 3, kw: 2, sh: 2, sw: 3, ph: 1, pw: 2),
    ]

    func forward(_ x: [Float], _ w: [Float], _ b: [Float], _ d: ConvDims, capacity: Int) -> [Float] {
        var y = [Float](repeating: .nan, count: d.outputCount)
        var col = [Float](repeating: 0, count: capacity)
        conv2DForward(&y, x, w, b, d, col: &col, colCapacity: capacity)
        return y
    }

    @Test(arguments: shapes)
    func forwardMatchesDirectConvolution(d: ConvDims) {
        let x = randomFloats(d.inputCount, seed: 1)
        let w = randomFloats(d.o * d.colRows, seed: 2), b = randomFloats(d.o, seed: 3)
        let expected = reference(x, w, b, d)
        // One sample per chunk and the whole batch in one chunk must agree.
        for capacity in [d.colRows * d.ho * d.wo, d.colRows * d.ho * d.wo * d.n] {
            let y = forward(x, w, b, d, capacity: capacity)
            let worst = zip(y, expected).map { abs($0 - $1) }.max() ?? 0
            #expect(worst < 1e-5, "capacity \(capacity)")
        }
    }

    @Test(arguments: shapes)
    func backwardMatchesFiniteDifferences(d: ConvDims) {
        var x = randomFloats(d.inputCount, seed: 4)
        var w = randomFloats(d.o * d.colRows, seed: 5), b = randomFloats(d.o, seed: 6)
        let r = randomFloats(d.outputCount, seed: 7)
        let capacity = d.colRows * d.ho * d.wo  // one sample per chunk: exercises the chunk loop
        var dx = [Float](repeating: 0, count: x.count), dw = [Float](repeating: 0, count: w.count)
        var db = [Float](repeating: 0, count: b.count), col = [Float](repeating: 0, count: capacity)
        conv2DBackward(dx: &dx, dweight: &dw, dbias: &db, dy: r, x: x, weight: w, d,
                       col: &col, colCapacity: capacity)
        let (xs, ws, bs) = (x, w, b)
        #expect(gradientMismatch(of: &x, analytic: dx) { dot(forward($0, ws, bs, d, capacity: capacity), r) } <= 1)
        #expect(gradientMismatch(of: &w, analytic: dw) { dot(forward(xs, $0, bs, d, capacity: capacity), r) } <= 1)
        #expect(gradientMismatch(of: &b, analytic: db) { dot(forward(xs, ws, $0, d, capacity: capacity), r) } <= 1)
    }

    @Test func backwardAccumulates() {
        let d = Self.shapes[0]
        let x = randomFloats(d.inputCount, seed: 8), w = randomFloats(d.o * d.colRows, seed: 9)
        let r = randomFloats(d.outputCount, seed: 10)
        var col = [Float](repeating: 0, count: d.colRows * d.ho * d.wo * d.n)
        var dx1 = [Float](repeating: 0, count: x.count), dw1 = [Float](repeating: 0, count: w.count)
        conv2DBackward(dx: &dx1, dweight: &dw1, dbias: nil, dy: r, x: x, weight: w, d,
                       col: &col, colCapacity: col.count)
        var dx2 = dx1, dw2 = dw1
        conv2DBackward(dx: &dx2, dweight: &dw2, dbias: nil, dy: r, x: x, weight: w, d,
                       col: &col, colCapacity: col.count)
        #expect(zip(dx2, dx1).allSatisfy { abs($0 - 2 * $1) <= 1e-5 * max(1, abs($1)) })
        #expect(zip(dw2, dw1).allSatisfy { abs($0 - 2 * $1) <= 1e-5 * max(1, abs($1)) })
    }
}
