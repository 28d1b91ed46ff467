import Testing
@testable import Engine

@Suite struct BatchNormTests {
    let c = 3, m = 10

    func forward(_ x: [Float], _ gamma: [Float], _ beta: [Float]) -> (y: [Float], mean: [Float], inv: [Float], rm: [Float], rv: [Float]) {
        var y = [Float](repeating: 0, count: x.count)
        var mean = [Float](repeating: 0, count: c), inv = mean
        var rm = [Float](repeating: 0.5, count: c), rv = [Float](repeating: 2, count: c)
        batchNormForward(&y, x, gamma, beta, mean: &mean, invStd: &inv,
                         runningMean: &rm, runningVar: &rv, c: c, m: m)
        return (y, mean, inv, rm, rv)
    }

    @Test func trainingStatisticsAndRunningUpdate() {
        let x = randomFloats(c * m, seed: 1, scale: 3)
        let out = forward(x, [1, 2, 0.5], [0, 1, -1])
        for ch in 0..<c {
            let v = x[(ch * m)..<((ch + 1) * m)].map(Double.init)
            let mu = v.reduce(0, +) / Double(m)
            let ss = v.map { ($0 - mu) * ($0 - mu) }.reduce(0, +)
            #expect(abs(Double(out.mean[ch]) - mu) < 1e-6)
            #expect(abs(Double(out.rm[ch]) - (0.9 * 0.5 + 0.1 * mu)) < 1e-6)
            // Running variance uses the unbiased estimate, normalisation the biased one.
            #expect(abs(Double(out.rv[ch]) - (0.9 * 2 + 0.1 * ss / Double(m - 1))) < 1e-5)
            #expect(abs(Double(out.inv[ch]) - 1 / (ss / Double(m) + 1e-5).squareRoot()) < 1e-4)
            let ys = out.y[(ch * m)..<((ch + 1) * m)].map(Double.init)
            let gamma = [1.0, 2, 0.5][ch], beta = [0.0, 1, -1][ch]
            let ymean = ys.reduce(0, +) / Double(m)
            #expect(abs(ymean - beta) < 1e-5, "normalised output has mean beta")
            let yvar = ys.map { ($0 - ymean) * ($0 - ymean) }.reduce(0, +) / Double(m)
            #expect(abs(yvar - gamma * gamma * (ss / Double(m)) / (ss / Double(m) + 1e-5)) < 1e-4)
        }
    }

    @Test func evalModeUsesRunningStatistics() {
        let x: [Float] = [1, 2, 3, 4]
        var y = [Float](repeating: 0, count: 4)
        batchNormInference(&y, x, [2], [1], runningMean: [2], runningVar: [4], c: 1, m: 4)
        let expected = x.map { 2 * ($0 - 2) / (4 + 1e-5).squareRoot() + 1 }
        #expect(zip(y, expected).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func backwardMatchesFiniteDifferences() {
        var x = randomFloats(c * m, seed: 2, scale: 2)
        var gamma: [Float] = [1.5, -0.7, 0.3], beta: [Float] = [0.2, -0.1, 0.5]
        let r = randomFloats(c * m, seed: 3)
        let f = forward(x, gamma, beta)
        var dx = [Float](repeating: 0, count: x.count)
        var dg = [Float](repeating: 0, count: c), db = dg
        batchNormBackward(dx: &dx, dgamma: &dg, dbeta: &db, dy: r, x: x, gamma: gamma,
                          mean: f.mean, invStd: f.inv, c: c, m: m)
        let (xs, gs, bs) = (x, gamma, beta)
        #expect(gradientMismatch(of: &x, analytic: dx, eps: 1e-3) { dot(forward($0, gs, bs).y, r) } <= 1)
        #expect(gradientMismatch(of: &gamma, analytic: dg) { dot(forward(xs, $0, bs).y, r) } <= 1)
        #expect(gradientMismatch(of: &beta, analytic: db) { dot(forward(xs, gs, $0).y, r) } <= 1)
    }
}
