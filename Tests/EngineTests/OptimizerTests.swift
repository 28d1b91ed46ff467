import Foundation
import Testing
@testable import Engine

@Suite struct OptimizerTests {
    /// A two-tensor arena holding `values`.
    func arena(_ values: [Float]) -> ParameterArena {
        let a = ParameterArena(layout: ArenaLayout([("a", [2]), ("b", [values.count - 2])]))
        a.load(values)
        return a
    }

    @Test func layoutOffsetsAndNamedAccess() {
        let a = arena([1, 2, 3, 4, 5])
        #expect(a.layout["b"] == TensorSlice(name: "b", shape: [3], offset: 2))
        #expect(Array(a["b"]) == [3, 4, 5])
        a["a"][1] = 9
        #expect(a.values == [1, 9, 3, 4, 5])
    }

    @Test func sgdMomentumMatchesPyTorchRecurrence() {
        let p = arena([1, -2, 0.5]), g = arena([0.1, 0.2, -0.3])
        let sgd = SGD(layout: p.layout, momentum: 0.9, weightDecay: 0.01)
        // Reference in Double, written out from torch.optim.SGD's documentation.
        var rp: [Double] = [1, -2, 0.5], buf = [Double](repeating: 0, count: 3)
        for step in 0..<3 {
            sgd.step(parameters: p, gradients: g, learningRate: 0.1)
            for i in 0..<3 {
                let d = [0.1, 0.2, -0.3][i] + 0.01 * rp[i]
                buf[i] = step == 0 ? d : 0.9 * buf[i] + d
                rp[i] -= 0.1 * buf[i]
            }
        }
        #expect(zip(p.values, rp).allSatisfy { abs(Double($0) - $1) < 1e-6 })
    }

    @Test func adamFirstStepMovesByLearningRate() {
        // With bias correction the first step is lr·g/(|g| + eps) ≈ lr·sign(g).
        let p = arena([1, -2, 0.5]), g = arena([0.1, -0.2, 3])
        let adam = Adam(layout: p.layout)
        adam.step(parameters: p, gradients: g, learningRate: 0.01)
        let moved = zip(p.values, [Float(1), -2, 0.5]).map { $0 - $1 }
        #expect(zip(moved, [Float(-0.01), 0.01, -0.01]).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(adam.stepCount == 1)
        #expect(abs(adam.expAvg.values[2] - 0.3) < 1e-6)
        #expect(abs(adam.expAvgSq.values[2] - 0.009) < 1e-6)
    }

    @Test func adamLaterStepsMatchReference() {
        let p = arena([0.3, 0.7]), g = arena([0.5, -0.25])
        let adam = Adam(layout: p.layout, weightDecay: 0.1)
        var rp = [0.3, 0.7], m = [0.0, 0], v = [0.0, 0]
        for t in 1...4 {
            g.load([0.5 / Float(t), -0.25 * Float(t)])
            adam.step(parameters: p, gradients: g, learningRate: 0.05)
            for i in 0..<2 {
                let d = Double([0.5 / Float(t), -0.25 * Float(t)][i]) + 0.1 * rp[i]
                m[i] = 0.9 * m[i] + 0.1 * d; v[i] = 0.999 * v[i] + 0.001 * d * d
                let mh = m[i] / (1 - pow(0.9, Double(t))), vh = v[i] / (1 - pow(0.999, Double(t)))
                rp[i] -= 0.05 * mh / (vh.squareRoot() + 1e-8)
            }
        }
        #expect(zip(p.values, rp).allSatisfy { abs(Double($0) - $1) < 1e-5 })
    }

    @Test func adadeltaMatchesReference() {
        let p = arena([1, 2]), g = arena([0.4, -0.1])
        let opt = Adadelta(layout: p.layout)
        var rp = [1.0, 2], v = [0.0, 0], u = [0.0, 0]
        for _ in 0..<3 {
            opt.step(parameters: p, gradients: g, learningRate: 1)
            for i in 0..<2 {
                let d = [0.4, -0.1][i]
                v[i] = 0.9 * v[i] + 0.1 * d * d
                let delta = (u[i] + 1e-6).squareRoot() / (v[i] + 1e-6).squareRoot() * d
                u[i] = 0.9 * u[i] + 0.1 * delta * delta
                rp[i] -= delta
            }
        }
        #expect(zip(p.values, rp).allSatisfy { abs(Double($0) - $1) < 1e-6 })
    }

    @Test func clipScalesOnlyAboveTheBound() {
        let g = arena([3, 4, 0])
        #expect(abs(clipGradientNorm(g, maxNorm: 10) - 5) < 1e-6)
        #expect(g.values == [3, 4, 0])
        clipGradientNorm(g, maxNorm: 1)
        #expect(abs(g.values[0] - 0.6) < 1e-5 && abs(g.values[1] - 0.8) < 1e-5)
    }

    @Test func stepScheduleDecaysEveryStepSize() {
        let s = LearningRateSchedule(baseRate: 0.01, decay: .step(every: 30, gamma: 0.1))
        #expect(s.rate(atEpoch: 0) == 0.01 && s.rate(atEpoch: 29.9) == 0.01)
        #expect(abs(s.rate(atEpoch: 30) - 0.001) < 1e-9 && abs(s.rate(atEpoch: 89) - 0.0001) < 1e-10)
    }

    @Test func cosineScheduleWarmsUpThenFallsToItsFloor() {
        let s = LearningRateSchedule(baseRate: 0.002, decay: .cosine(epochs: 10, floor: 0.01), warmupEpochs: 1)
        #expect(abs(s.rate(atEpoch: 0) - 0.002 * 0.01) < 1e-9, "warm-up starts at 1 % of the base rate")
        #expect(abs(s.rate(atEpoch: 0.5) - 0.001) < 1e-9, "half-way through the warm-up: half the rate")
        #expect(abs(s.rate(atEpoch: 1) - 0.002) < 1e-9, "the peak right after the warm-up")
        #expect(abs(s.rate(atEpoch: 5.5) - 0.002 * (0.01 + 0.99 * 0.5)) < 1e-8, "the cosine's middle")
        #expect(abs(s.rate(atEpoch: 10) - 0.002 * 0.01) < 1e-9 && abs(s.rate(atEpoch: 12) - 0.002 * 0.01) < 1e-9)
        var previous = Float.infinity
        for e in stride(from: 1.0, through: 10, by: 0.25) {
            #expect(s.rate(atEpoch: e) <= previous); previous = s.rate(atEpoch: e)
        }
    }
}
