import Testing
import Benchmarks
import Engine
@testable import Wire

/// A small heavy-tailed gradient over a few tensors, scales far below fp16's normal range.
private func sampleGradient(seed: UInt64 = 1) -> (values: [Float], layout: [Int]) {
    let layout = [640, 3, 0, 5000, 1200]
    return (SyntheticGradient.make(layout: layout, seed: seed, structured: false), layout)
}

@Suite struct CodecTests {
    @Test func fp32IsExact() throws {
        let (g, layout) = sampleGradient()
        let codec = try GradientCodecs.named("fp32+zstd")
        var out = [Float](repeating: 1, count: g.count)
        try codec.decode(try codec.encode(g, layout: layout), into: &out)
        #expect(out == g)
    }

    @Test(arguments: ["fp16+zstd", "bf16+zstd"])
    func halfFormatsKeepRelativeError(name: String) throws {
        let (g, layout) = sampleGradient()
        let codec = try GradientCodecs.named(name)
        var out = [Float](repeating: 0, count: g.count)
        try codec.decode(try codec.encode(g, layout: layout), into: &out)
        // fp16 after scaling keeps 11 significant bits (error ≤ 2^-11 relative), bf16 keeps 8;
        // values 2^24 below a tensor's maximum may become fp16 subnormals, so compare those absolutely.
        let bound: Float = name.hasPrefix("fp16") ? 1.0 / 2048 : 1.0 / 256
        var offset = 0
        for size in layout {
            let tensor = g[offset..<offset + size]
            let largest = tensor.map(abs).max() ?? 0
            for i in offset..<offset + size {
                let error = abs(out[i] - g[i])
                #expect(error <= bound * abs(g[i]) + largest * 0x1p-24, "value \(i): \(g[i]) → \(out[i])")
            }
            offset += size
        }
    }

    @Test func fp16ScalingKeepsTinyGradients() throws {
        // A plain fp16 cast flushes 1e-9 to zero; the per-tensor scale must not.
        let g: [Float] = [1e-9, -3e-9, 2.5e-9, 0]
        var out = [Float](repeating: 1, count: 4)
        try HalfZstdCodec(format: .fp16).decode(try HalfZstdCodec(format: .fp16).encode(g, layout: [4]), into: &out)
        for i in 0..<4 { #expect(abs(out[i] - g[i]) <= abs(g[i]) / 2048) }
    }

    @Test func topKSendsExactlyTheLargestEntries() throws {
        let (g, layout) = sampleGradient()
        let codec = try TopKCodec(fraction: 0.05, values: .fp16)
        var out = [Float](repeating: 7, count: g.count)
        try codec.decode(try codec.encode(g, layout: layout), into: &out)
        var offset = 0
        for size in layout {
            let tensor = Array(g[offset..<offset + size])
            let keep = codec.keepCount(size: size)
            let threshold = tensor.map(abs).sorted(by: >).dropFirst(max(0, keep - 1)).first ?? 0
            var sent = 0
            for i in 0..<size {
                let decoded = out[offset + i]
                if decoded == 0 {
                    #expect(abs(tensor[i]) <= threshold, "entry \(i) above the threshold was dropped")
                } else {
                    sent += 1
                    #expect(abs(tensor[i]) >= threshold)
                    #expect(abs(decoded - tensor[i]) <= abs(tensor[i]) / 1024)
                }
            }
            #expect(sent == keep)
            offset += size
        }
    }

    @Test func topKBreaksTiesByPositionAndSkipsZeros() throws {
        let g: [Float] = [0, 2, -2, 2, 0, 1, 0, 0, 0, 0]
        var out = [Float](repeating: 9, count: g.count)
        let codec = try TopKCodec(fraction: 0.2, values: .bf16)
        try codec.decode(try codec.encode(g, layout: [10]), into: &out)
        #expect(out == [0, 2, -2, 0, 0, 0, 0, 0, 0, 0])
        // Asking for more entries than non-zeros sends only the non-zeros.
        try codec.decode(try TopKCodec(fraction: 1, values: .bf16).encode(g, layout: [10]), into: &out)
        #expect(out == g)
    }

    @Test func errorFeedbackDeliversTheGradientSum() throws {
        let layout = [300, 700]
        let codec = try TopKCodec(fraction: 0.01, values: .fp16)
        let feedback = ErrorFeedback(count: 1000)
        var sumGradients = [Double](repeating: 0, count: 1000)
        var sumSent = [Double](repeating: 0, count: 1000)
        var decoded = [Float](repeating: 0, count: 1000)
        var residualPeaks = [0.0, 0.0]  // largest residual energy in steps 100..<250, 250..<400
        let steps = 400
        for step in 0..<steps {
            let g = SyntheticGradient.make(layout: layout, seed: UInt64(step + 10), structured: false)
                .map { $0 * 1e4 }
            try codec.decode(try feedback.encode(g, layout: layout, codec: codec), into: &decoded)
            for i in 0..<1000 {
                sumGradients[i] += Double(g[i])
                sumSent[i] += Double(decoded[i])
            }
            if step >= 100 { residualPeaks[step < 250 ? 0 : 1] = max(residualPeaks[step < 250 ? 0 : 1], feedback.residualEnergy) }
        }
        // Sum sent = sum of gradients − final residual, up to float rounding.
        for i in 0..<1000 {
            #expect(abs(sumSent[i] + Double(feedback.residual[i]) - sumGradients[i]) <= 1e-3 * (1 + abs(sumGradients[i])))
        }
        // The residual is bounded: it does not keep growing once entries start being sent.
        #expect(residualPeaks[1] < 2 * residualPeaks[0], "residual energy peaks \(residualPeaks)")
        // And the sent sum tracks the gradient sum: relative error of the totals is small.
        let gap = zip(sumSent, sumGradients).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let pile = sumGradients.reduce(0.0) { $0 + $1 * $1 }
        #expect(gap < 0.25 * pile, "‖Σsent − Σg‖² = \(gap), ‖Σg‖² = \(pile)")
    }

    @Test func unknownCodecListsTheValidNames() {
        #expect(throws: CodecError.unknownCodec(name: "gzip", valid: GradientCodecs.names)) {
            try GradientCodecs.named("gzip")
        }
        #expect(throws: CodecError.self) { try GradientCodecs.named("topk+fp16+zstd", k: 0) }
        #expect(throws: CodecError.self) { try GradientCodecs.named("topk+fp16+zstd", k: 1.5) }
    }

    @Test func nonFiniteGradientsAreRefused() throws {
        for name in GradientCodecs.names {
            let codec = try GradientCodecs.named(name)
            #expect(throws: CodecError.nonFinite(tensor: 1, index: 2)) {
                try codec.encode([1, 2, 3, 4, .nan, 6], layout: [2, 4])
            }
        }
    }

    @Test(arguments: GradientCodecs.names)
    func corruptPayloadsThrow(name: String) throws {
        let (g, layout) = sampleGradient()
        let codec = try GradientCodecs.named(name)
        let payload = try codec.encode(g, layout: layout)
        var out = [Float](repeating: 0, count: g.count)
        // Every truncation must throw, never trap.
        for cut in stride(from: 0, to: payload.count, by: max(1, payload.count / 97)) {
            #expect(throws: CodecError.self) { try codec.decode(Array(payload[..<cut]), into: &out) }
        }
        // Trailing garbage, a wrong receiver size, another codec's payload.
        #expect(throws: CodecError.self) { try codec.decode(payload + [0], into: &out) }
        var small = [Float](repeating: 0, count: g.count - 1)
        #expect(throws: CodecError.sizeMismatch(expected: g.count - 1, found: g.count)) {
            try codec.decode(payload, into: &small)
        }
        let other = try GradientCodecs.named(name == "fp32+zstd" ? "fp16+zstd" : "fp32+zstd")
        #expect(throws: CodecError.self) { try other.decode(payload, into: &out) }
        // Flipped bytes must throw or decode to finite values (checksums are TCP's job).
        var rng = SplitMix64(seed: 3)
        for _ in 0..<200 {
            var damaged = payload
            damaged[Int(rng.next() % UInt64(damaged.count))] ^= UInt8(1 + rng.next() % 255)
            do {
                try codec.decode(damaged, into: &out)
                let finite = out.allSatisfy { $0.isFinite }
                #expect(finite)
            } catch is CodecError {}
        }
    }

    /// The parameter server sums pushes with `decode(_:scaledBy:addingTo:)`: it must add exactly
    /// what `decode(_:into:)` yields, and add nothing when the payload is bad.
    @Test(arguments: GradientCodecs.names)
    func decodingIntoASumAddsTheScaledValues(name: String) throws {
        let (g, layout) = sampleGradient()
        let codec = try GradientCodecs.named(name)
        let payload = try codec.encode(g, layout: layout)
        var decoded = [Float](repeating: 0, count: g.count)
        try codec.decode(payload, into: &decoded)
        let start = (0..<g.count).map { Float($0 % 7) - 3 }
        var sum = start
        try payload.withUnsafeBytes { raw in
            try sum.withUnsafeMutableBufferPointer { try codec.decode(raw, scaledBy: 0.5, addingTo: $0) }
        }
        #expect(zip(sum, zip(start, decoded)).allSatisfy { $0 == $1.0 + 0.5 * $1.1 })
        var untouched = start
        let truncated = Array(payload.dropLast(3))
        #expect(throws: CodecError.self) {
            try truncated.withUnsafeBytes { raw in
                try untouched.withUnsafeMutableBufferPointer { try codec.decode(raw, scaledBy: 1, addingTo: $0) }
            }
        }
        #expect(untouched == start)
    }

    @Test func hostileHeadersDoNotAllocate() throws {
        var out = [Float](repeating: 0, count: 16)
        // A header claiming 2^62 values, or 2^40 tensors, is refused before any allocation.
        var huge: [UInt8] = [4]
        appendVarint(1 << 62, to: &huge)
        #expect(throws: CodecError.self) { try TopKCodec(fraction: 0.5).decode(huge, into: &out) }
        var tensors: [UInt8] = [4]
        appendVarint(16, to: &tensors)
        appendVarint(1 << 40, to: &tensors)
        #expect(throws: CodecError.self) { try TopKCodec(fraction: 0.5).decode(tensors, into: &out) }
    }

    @Test func smallTensorsAreSentWhole() throws {
        // 1 % of a 600-value tensor would be 6 values; under denseUpTo it goes whole, while
        // the large tensor still keeps only its top 1 %.
        let codec = try TopKCodec(fraction: 0.01, values: .fp16, denseUpTo: 1000)
        let small = (0..<600).map { Float($0 % 7 + 1) * 0.01 }
        let large = (0..<5000).map { Float(($0 * 37) % 101) * 0.001 }
        var out = [Float](repeating: 0, count: 5600)
        try codec.decode(try codec.encode(small + large, layout: [600, 5000]), into: &out)
        #expect(zip(out[0..<600], small).allSatisfy { abs($0 - $1) <= 1e-3 * abs($1) })
        #expect(out[600...].filter { $0 != 0 }.count == 50)
        #expect(try GradientCodecs.named("topk+fp16+zstd") as? TopKCodec != nil)
        #expect((try GradientCodecs.named("topk+fp16+zstd") as? TopKCodec)?.denseUpTo == TopKCodec.defaultDenseUpTo)
    }
}
