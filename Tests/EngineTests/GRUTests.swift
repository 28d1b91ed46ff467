import Foundation
import Testing
@testable import Engine

/// A tiny bidirectional GRU with its parameters in one arena-like block, both directions back to
/// back in PyTorch's `named_parameters()` order.
private struct GRUProblem {
    let T: Int, N: Int, I: Int, H: Int
    var P: Int { GRUWeights.parameterCount(I: I, H: H) }

    /// Returns (y [T×N×2H], hN [2×N×H]).
    func forward(x: [Float], h0: [Float]?, params: [Float]) -> ([Float], [Float]) {
        var y = [Float](repeating: .nan, count: T * N * 2 * H)
        var hN = [Float](repeating: .nan, count: 2 * N * H)
        var cache = [Float](repeating: .nan, count: BidirectionalGRUCache.floatCount(T: T, N: N, H: H))
        params.withUnsafeBufferPointer { p in
            cache.withUnsafeMutableBufferPointer { c in
                let h0p = h0?.withUnsafeBufferPointer { $0.baseAddress! }  // arrays outlive the call
                bidirectionalGRUForward(
                    y: &y, hN: &hN, x: x, h0: h0p,
                    forward: GRUWeights(p.baseAddress!, I: I, H: H),
                    reverse: GRUWeights(p.baseAddress! + P, I: I, H: H),
                    cache: BidirectionalGRUCache(c.baseAddress!, T: T, N: N, H: H),
                    T: T, N: N, I: I, H: H)
            }
        }
        return (y, hN)
    }

    /// Gradients of Σ wy·y + Σ wh·hN w.r.t. x, h0 and the parameters, accumulated onto ones.
    func backward(x: [Float], h0: [Float]?, params: [Float], wy: [Float], wh: [Float])
        -> (dx: [Float], dh0: [Float], dp: [Float])
    {
        var cache = [Float](repeating: .nan, count: BidirectionalGRUCache.floatCount(T: T, N: N, H: H))
        var y = [Float](repeating: 0, count: T * N * 2 * H), hN = [Float](repeating: 0, count: 2 * N * H)
        var dx = [Float](repeating: 1, count: x.count), dh0 = [Float](repeating: 1, count: 2 * N * H)
        var dp = [Float](repeating: 1, count: params.count)
        let h0p = h0?.withUnsafeBufferPointer { $0.baseAddress! }
        params.withUnsafeBufferPointer { p in
            cache.withUnsafeMutableBufferPointer { c in
                dp.withUnsafeMutableBufferPointer { g in
                    let fw = GRUWeights(p.baseAddress!, I: I, H: H)
                    let rw = GRUWeights(p.baseAddress! + P, I: I, H: H)
                    let bc = BidirectionalGRUCache(c.baseAddress!, T: T, N: N, H: H)
                    bidirectionalGRUForward(y: &y, hN: &hN, x: x, h0: h0p, forward: fw, reverse: rw,
                                            cache: bc, T: T, N: N, I: I, H: H)
                    bidirectionalGRUBackward(
                        dx: &dx, dh0: &dh0,
                        forwardGradients: GRUGradients(g.baseAddress!, I: I, H: H),
                        reverseGradients: GRUGradients(g.baseAddress! + P, I: I, H: H),
                        dy: wy, dhN: wh, x: x, h0: h0p, forward: fw, reverse: rw, cache: bc,
                        T: T, N: N, I: I, H: H)
                }
            }
        }
        return (dx.map { $0 - 1 }, dh0.map { $0 - 1 }, dp.map { $0 - 1 })
    }
}

@Suite struct GRUTests {
    /// Straight from PyTorch's documented equations, in Double, one direction, one sample.
    func referenceStep(x: [Double], h: [Double], p: [Float], I: Int, H: Int) -> [Double] {
        let (ohh, obi, obh) = (3 * H * I, 3 * H * (I + H), 3 * H * (I + H + 1))
        func row(_ g: Int) -> (Double, Double) {
            var a = Double(p[obi + g]), b = Double(p[obh + g])
            for i in 0..<I { a += Double(p[g * I + i]) * x[i] }
            for k in 0..<H { b += Double(p[ohh + g * H + k]) * h[k] }
            return (a, b)
        }
        return (0..<H).map { j in
            let (ar, br) = row(j), (az, bz) = row(H + j), (an, bn) = row(2 * H + j)
            let r = 1 / (1 + exp(-(ar + br))), z = 1 / (1 + exp(-(az + bz)))
            let n = tanh(an + r * bn)
            return (1 - z) * n + z * h[j]
        }
    }

    @Test func forwardMatchesReferenceEquations() {
        let pr = GRUProblem(T: 4, N: 2, I: 3, H: 5)
        var rng = SequenceRandom(seed: 21)
        let x = rng.array(pr.T * pr.N * pr.I), h0 = rng.array(2 * pr.N * pr.H, scale: 0.5)
        let params = rng.array(2 * pr.P, scale: 0.6)
        let (y, hN) = pr.forward(x: x, h0: h0, params: params)
        let (T, N, I, H) = (pr.T, pr.N, pr.I, pr.H)
        for dir in 0..<2 {
            let p = Array(params[(dir * pr.P)..<((dir + 1) * pr.P)])
            for n in 0..<N {
                var h = (0..<H).map { Double(h0[(dir * N + n) * H + $0]) }
                for s in 0..<T {
                    let t = dir == 0 ? s : T - 1 - s
                    let xt = (0..<I).map { Double(x[(t * N + n) * I + $0]) }
                    h = referenceStep(x: xt, h: h, p: p, I: I, H: H)
                    for j in 0..<H {
                        #expect(abs(Double(y[(t * N + n) * 2 * H + dir * H + j]) - h[j]) < 1e-5)
                    }
                }
                for j in 0..<H { #expect(abs(Double(hN[(dir * N + n) * H + j]) - h[j]) < 1e-5) }
            }
        }
    }

    @Test(arguments: [true, false])
    func gradientsMatchFiniteDifferences(withInitialState: Bool) {
        let pr = GRUProblem(T: 3, N: 2, I: 3, H: 4)
        var rng = SequenceRandom(seed: withInitialState ? 22 : 23)
        var x = rng.array(pr.T * pr.N * pr.I)
        var h0 = rng.array(2 * pr.N * pr.H, scale: 0.5)
        var params = rng.array(2 * pr.P, scale: 0.6)
        let wy = rng.array(pr.T * pr.N * 2 * pr.H), wh = rng.array(2 * pr.N * pr.H)
        let h0Used: [Float]? = withInitialState ? h0 : nil
        let g = pr.backward(x: x, h0: h0Used, params: params, wy: wy, wh: wh)
        func loss(_ x: [Float], _ h0: [Float]?, _ p: [Float]) -> Double {
            let (y, hN) = pr.forward(x: x, h0: h0, params: p)
            return weightedSum(y, wy) + weightedSum(hN, wh)
        }
        let (xc, pc) = (x, params)
        let ex = checkGradient(&x, analytic: g.dx) { loss($0, h0Used, pc) }
        let ep = checkGradient(&params, analytic: g.dp) { loss(xc, h0Used, $0) }
        #expect(ex.ratio < 1, "dx \(ex)")
        #expect(ep.ratio < 1, "dparams \(ep)")
        // dh0 is the gradient w.r.t. the initial state even when it is the implicit zero state.
        if !withInitialState { h0 = [Float](repeating: 0, count: h0.count) }
        let eh = checkGradient(&h0, analytic: g.dh0) { loss(xc, $0, pc) }
        #expect(eh.ratio < 1, "dh0 \(eh)")
    }

    @Test func emptySequencePassesTheStateThrough() {
        let pr = GRUProblem(T: 0, N: 2, I: 3, H: 2)
        var rng = SequenceRandom(seed: 24)
        let h0 = rng.array(2 * pr.N * pr.H), params = rng.array(2 * pr.P), wh = rng.array(2 * pr.N * pr.H)
        #expect(pr.forward(x: [], h0: h0, params: params).1 == h0)
        let g = pr.backward(x: [], h0: h0, params: params, wy: [], wh: wh)
        #expect(zip(g.dh0, wh).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(g.dp.allSatisfy { $0 == 0 })
    }
}
