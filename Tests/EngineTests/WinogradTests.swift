import Testing
@testable import Engine

@Suite struct WinogradTests {
    static let shapes: [ConvDims] = [
        ConvDims(n: 2, c: 3, h: 4, w: 6, o: 4, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1),
        ConvDims(n: 3, c: 2, h: 5, w: 7, o: 3, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1),  // odd sizes
        ConvDims(n: 1, c: 4, h: 1, w: 3, o: 2, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1),
    ]

    func forward(_ x: [Float], _ w: [Float], _ b: [Float], _ d: ConvDims, samplesPerChunk: Int) -> [Float] {
        var y = [Float](repeating: .nan, count: d.outputCount)
        var u = [Float](repeating: 0, count: 16 * d.o * d.c)
        let capacity = d.winogradScratchPerSample * samplesPerChunk
        var scratch = [Float](repeating: 0, count: capacity)
        winogradForward(&y, x, w, b, d, u: &u, scratch: &scratch, capacity: capacity)
        return y
    }

    @Test(arguments: shapes)
    func forwardMatchesDirectConvolution(d: ConvDims) {
        let x = randomFloats(d.inputCount, seed: 1)
        let w = randomFloats(d.o * d.colRows, seed: 2), b = randomFloats(d.o, seed: 3)
        let expected = Conv2DTests().reference(x, w, b, d)
        for chunk in [1, d.n] {
            let y = forward(x, w, b, d, samplesPerChunk: chunk)
            let worst = zip(y, expected).map { abs($0 - $1) }.max() ?? 0
            #expect(worst < 1e-5, "chunk \(chunk): \(worst)")
        }
    }

    @Test(arguments: shapes)
    func backwardMatchesFiniteDifferences(d: ConvDims) {
        var x = randomFloats(d.inputCount, seed: 4)
        var w = randomFloats(d.o * d.colRows, seed: 5), b = randomFloats(d.o, seed: 6)
        let r = randomFloats(d.outputCount, seed: 7)
        var dx = [Float](repeating: 0, count: x.count), dw = [Float](repeating: 0, count: w.count)
        var db = [Float](repeating: 0, count: b.count)
        var u = [Float](repeating: 0, count: 16 * d.o * d.c), du = u
        let capacity = d.winogradScratchPerSample  // one sample per chunk: exercises the chunk loop
        var scratch = [Float](repeating: 0, count: capacity), y = [Float](repeating: 0, count: d.outputCount)
        winogradForward(&y, x, w, b, d, u: &u, scratch: &scratch, capacity: capacity)
        winogradBackward(dx: &dx, dweight: &dw, dbias: &db, dy: r, x: x, d, u: u, du: &du,
                         scratch: &scratch, capacity: capacity)
        let (xs, ws, bs) = (x, w, b)
        #expect(gradientMismatch(of: &x, analytic: dx) { dot(forward($0, ws, bs, d, samplesPerChunk: 1), r) } <= 1)
        #expect(gradientMismatch(of: &w, analytic: dw) { dot(forward(xs, $0, bs, d, samplesPerChunk: 1), r) } <= 1)
        #expect(gradientMismatch(of: &b, analytic: db) { dot(forward(xs, ws, $0, d, samplesPerChunk: 1), r) } <= 1)
        // And the same gradients as the im2col path, to float rounding.
        var dx2 = [Float](repeating: 0, count: x.count), dw2 = [Float](repeating: 0, count: w.count)
        var col = [Float](repeating: 0, count: d.colRows * d.ho * d.wo)
        conv2DBackward(dx: &dx2, dweight: &dw2, dbias: nil, dy: r, x: x, weight: w, d, col: &col, colCapacity: col.count)
        #expect(zip(dx, dx2).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(zip(dw, dw2).allSatisfy { abs($0 - $1) < 1e-4 })
    }
}

/// A model whose parameters are promised not to change transforms its Winograd filters once: the
/// same logits as transforming them at every forward, and a training step lifts the promise.
@Suite struct FrozenFilterTests {
    @Test func frozenEvalForwardsGiveTheSameLogitsAndTrainingThawsThem() throws {
        let model = CRNNModel(config: ModelPreset.small.config(classes: 11), seed: 3)
        var generator = SplitMix64(seed: 1)
        let images = (0..<(2 * 32 * 64)).map { _ in Float(generator.next() >> 40) / Float(1 << 23) - 1 }
        let plain = try model.logits(images: images, batch: 2).values
        model.parametersFrozen = true
        #expect(try model.logits(images: images, batch: 2).values == plain)
        #expect(model.frozenFilters.compactMap { $0 }.count >= 4, "small's 3×3 convs past conv1 run by Winograd")
        // Another length reuses the transformed filters.
        let longer = Array(images.prefix(32 * 96))
        let frozenLonger = try model.logits(images: longer, batch: 1).values
        model.parametersFrozen = false
        #expect(try model.logits(images: longer, batch: 1).values == frozenLonger)

        model.parametersFrozen = true
        _ = try model.logits(images: images, batch: 2)
        _ = try model.trainStep(images: images, targets: [[1, 2], [3]])
        #expect(!model.parametersFrozen && model.frozenFilters.allSatisfy { $0 == nil })
        // Parameters moved by hand (as an optimiser does) are seen by the next eval forward.
        model.parameters.load(model.parameters.values.map { $0 * 0.5 })
        let moved = try model.logits(images: images, batch: 2).values
        #expect(moved != plain)
    }
}
