import Foundation
import Testing
@testable import Engine

/// A tiny bidirectional LSTM, parameters of both directions back to back in PyTorch's order.
private struct LSTMProblem {
    let T: Int, N: Int, I: Int, H: Int
    var P: Int { LSTMWeights.parameterCount(I: I, H: H) }
    var stateCount: Int { 2 * N * H }

    struct Outputs { var y: [Float], hN: [Float], cN: [Float] }
    struct Gradients { var dx: [Float], dh0: [Float], dc0: [Float], dp: [Float] }

    func forward(x: [Float], h0: [Float]?, c0: [Float]?, params: [Float]) -> Outputs {
        var out = Outputs(y: [Float](repeating: .nan, count: T * N * 2 * H),
                          hN: [Float](repeating: .nan, count: stateCount),
                          cN: [Float](repeating: .nan, count: stateCount))
        _ = run(x: x, h0: h0, c0: c0, params: params, out: &out, upstream: nil)
        return out
    }

    /// Gradients of Σ w.y·y + Σ w.hN·hN + Σ w.cN·cN, accumulated onto buffers holding 1.
    func backward(x: [Float], h0: [Float]?, c0: [Float]?, params: [Float], w: Outputs) -> Gradients {
        var out = w
        return run(x: x, h0: h0, c0: c0, params: params, out: &out, upstream: w)!
    }

    private func run(x: [Float], h0: [Float]?, c0: [Float]?, params: [Float], out: inout Outputs,
                     upstream: Outputs?) -> Gradients? {
        var cache = [Float](repeating: .nan, count: BidirectionalLSTMCache.floatCount(T: T, N: N, H: H))
        var g = Gradients(dx: [Float](repeating: 1, count: x.count),
                          dh0: [Float](repeating: 1, count: stateCount),
                          dc0: [Float](repeating: 1, count: stateCount),
                          dp: [Float](repeating: 1, count: params.count))
        let h0p = h0?.withUnsafeBufferPointer { $0.baseAddress! }  // arrays outlive the call
        let c0p = c0?.withUnsafeBufferPointer { $0.baseAddress! }
        params.withUnsafeBufferPointer { p in
            cache.withUnsafeMutableBufferPointer { c in
                g.dp.withUnsafeMutableBufferPointer { d in
                    let fw = LSTMWeights(p.baseAddress!, I: I, H: H)
                    let rw = LSTMWeights(p.baseAddress! + P, I: I, H: H)
                    let bc = BidirectionalLSTMCache(c.baseAddress!, T: T, N: N, H: H)
                    bidirectionalLSTMForward(y: &out.y, hN: &out.hN, cN: &out.cN, x: x, h0: h0p, c0: c0p,
                                             forward: fw, reverse: rw, cache: bc, T: T, N: N, I: I, H: H)
                    guard let up = upstream else { return }
                    bidirectionalLSTMBackward(
                        dx: &g.dx, dh0: &g.dh0, dc0: &g.dc0,
                        forwardGradients: LSTMGradients(d.baseAddress!, I: I, H: H),
                        reverseGradients: LSTMGradients(d.baseAddress! + P, I: I, H: H),
                        dy: up.y, dhN: up.hN, dcN: up.cN, x: x, h0: h0p, c0: c0p,
                        forward: fw, reverse: rw, cache: bc, T: T, N: N, I: I, H: H)
                }
            }
        }
        guard upstream != nil else { return nil }
        func minusOne(_ a: [Float]) -> [Float] { a.map { $0 - 1 } }
        return Gradients(dx: minusOne(g.dx), dh0: minusOne(g.dh0), dc0: minusOne(g.dc0), dp: minusOne(g.dp))
    }
}

@Suite struct LSTMTests {
    @Test func forwardMatchesReferenceEquations() {
        let pr = LSTMProblem(T: 3, N: 2, I: 3, H: 4)
        let (T, N, I, H) = (pr.T, pr.N, pr.I, pr.H)
        var rng = SequenceRandom(seed: 31)
        let x = rng.array(T * N * I), params = rng.array(2 * pr.P, scale: 0.6)
        let out = pr.forward(x: x, h0: nil, c0: nil, params: params)
        for dir in 0..<2 {
            let p = params[(dir * pr.P)...].map(Double.init)
            let (ohh, obi, obh) = (4 * H * I, 4 * H * (I + H), 4 * H * (I + H + 1))
            for n in 0..<N {
                var h = [Double](repeating: 0, count: H), c = h
                for s in 0..<T {
                    let t = dir == 0 ? s : T - 1 - s
                    func pre(_ r: Int) -> Double {
                        var v = p[obi + r] + p[obh + r]
                        for i in 0..<I { v += p[r * I + i] * Double(x[(t * N + n) * I + i]) }
                        for k in 0..<H { v += p[ohh + r * H + k] * h[k] }
                        return v
                    }
                    let sig = { (v: Double) in 1 / (1 + exp(-v)) }
                    let gates = (0..<H).map { j in
                        (sig(pre(j)), sig(pre(H + j)), tanh(pre(2 * H + j)), sig(pre(3 * H + j)))
                    }
                    for j in 0..<H {
                        c[j] = gates[j].1 * c[j] + gates[j].0 * gates[j].2
                        h[j] = gates[j].3 * tanh(c[j])
                        #expect(abs(Double(out.y[(t * N + n) * 2 * H + dir * H + j]) - h[j]) < 1e-5)
                    }
                }
                for j in 0..<H {
                    #expect(abs(Double(out.hN[(dir * N + n) * H + j]) - h[j]) < 1e-5)
                    #expect(abs(Double(out.cN[(dir * N + n) * H + j]) - c[j]) < 1e-5)
                }
            }
        }
    }

    @Test(arguments: [true, false])
    func gradientsMatchFiniteDifferences(withInitialState: Bool) {
        let pr = LSTMProblem(T: 3, N: 2, I: 3, H: 3)
        var rng = SequenceRandom(seed: withInitialState ? 32 : 33)
        var x = rng.array(pr.T * pr.N * pr.I)
        var h0 = rng.array(pr.stateCount, scale: 0.5), c0 = rng.array(pr.stateCount, scale: 0.5)
        var params = rng.array(2 * pr.P, scale: 0.6)
        let w = LSTMProblem.Outputs(y: rng.array(pr.T * pr.N * 2 * pr.H),
                                    hN: rng.array(pr.stateCount), cN: rng.array(pr.stateCount))
        let h0Used = withInitialState ? h0 : nil, c0Used = withInitialState ? c0 : nil
        let g = pr.backward(x: x, h0: h0Used, c0: c0Used, params: params, w: w)
        func loss(_ x: [Float], _ h0: [Float]?, _ c0: [Float]?, _ p: [Float]) -> Double {
            let o = pr.forward(x: x, h0: h0, c0: c0, params: p)
            return weightedSum(o.y, w.y) + weightedSum(o.hN, w.hN) + weightedSum(o.cN, w.cN)
        }
        let (xc, pc) = (x, params)
        let ex = checkGradient(&x, analytic: g.dx) { loss($0, h0Used, c0Used, pc) }
        let ep = checkGradient(&params, analytic: g.dp) { loss(xc, h0Used, c0Used, $0) }
        #expect(ex.ratio < 1, "dx \(ex)")
        #expect(ep.ratio < 1, "dparams \(ep)")
        if !withInitialState {
            h0 = [Float](repeating: 0, count: h0.count); c0 = h0
        }
        let (hc, cc) = (h0, c0)
        let eh = checkGradient(&h0, analytic: g.dh0) { loss(xc, $0, cc, pc) }
        let ec = checkGradient(&c0, analytic: g.dc0) { loss(xc, hc, $0, pc) }
        #expect(eh.ratio < 1, "dh0 \(eh)")
        #expect(ec.ratio < 1, "dc0 \(ec)")
    }
}
