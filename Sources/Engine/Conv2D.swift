// 2-D convolution as im2col + one GEMM per chunk of samples.
//
// Activations are stored channel-major, [C, N, H, W] ("CNHW"): the GEMM output O × (N·HO·WO)
// is then already the next layer's layout, batch norm sees each channel as one contiguous run,
// and a whole chunk of samples is one GEMM instead of one thin GEMM per sample.
//
// Shapes:
//   x    [C, N, H, W]            input
//   w    [O, C, KH, KW]          weight (PyTorch layout), b [O]
//   y    [O, N, HO, WO]          output, HO = (H + 2·PH − KH) / SH + 1 (likewise WO)
//   col  [C·KH·KW, G·HO·WO]      scratch for G samples at a time (G = capacity / rows / HO·WO)

/// The sizes of one convolution layer over one batch.
public struct ConvDims: Sendable, Equatable {
    public var n, c, h, w, o, kh, kw, sh, sw, ph, pw: Int

    public init(n: Int, c: Int, h: Int, w: Int, o: Int, kh: Int, kw: Int,
                sh: Int = 1, sw: Int = 1, ph: Int = 0, pw: Int = 0) {
        self.n = n; self.c = c; self.h = h; self.w = w; self.o = o
        self.kh = kh; self.kw = kw; self.sh = sh; self.sw = sw; self.ph = ph; self.pw = pw
    }

    public var ho: Int { (h + 2 * ph - kh) / sh + 1 }
    public var wo: Int { (w + 2 * pw - kw) / sw + 1 }
    /// Rows of the im2col matrix: one per (input channel, kernel row, kernel column).
    public var colRows: Int { c * kh * kw }
    public var inputCount: Int { c * n * h * w }
    public var outputCount: Int { o * n * ho * wo }
    /// Multiply-accumulates of one forward pass.
    public var macs: Int { o * colRows * n * ho * wo }

    /// Samples per GEMM chunk for a col buffer of `capacity` floats (at least 1).
    func chunk(capacity: Int) -> Int {
        max(1, min(n, capacity / max(1, colRows * ho * wo)))
    }
}

/// Unfolds samples `n0..<n0+g` of `x` into `col` ([C·KH·KW, g·HO·WO]), zeros where the kernel
/// hangs over the padding. Rows are independent, so they are filled in parallel.
func im2col(_ col: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
            _ d: ConvDims, n0: Int, g: Int) {
    let hw = d.h * d.w, howo = d.ho * d.wo, ho = d.ho, wo = d.wo
    parallelFor(d.colRows, grain: 2) { r in
        let j = r % d.kw, i = (r / d.kw) % d.kh, c = r / (d.kw * d.kh)
        var out = col + r * g * howo
        for s in 0..<g {
            let plane = x + (c * d.n + n0 + s) * hw
            for oy in 0..<ho {
                let iy = oy * d.sh - d.ph + i
                if iy < 0 || iy >= d.h {
                    out.update(repeating: 0, count: wo)
                } else {
                    let row = plane + iy * d.w
                    if d.sw == 1 {
                        // Stride 1: the valid part is one shifted copy of the input row.
                        let lo = min(wo, max(0, d.pw - j)), hi = max(lo, min(wo, d.w + d.pw - j))
                        if lo > 0 { out.update(repeating: 0, count: lo) }
                        if hi > lo { (out + lo).update(from: row + (lo - d.pw + j), count: hi - lo) }
                        if hi < wo { (out + hi).update(repeating: 0, count: wo - hi) }
                    } else {
                        for ox in 0..<wo {
                            let ix = ox * d.sw - d.pw + j
                            out[ox] = ix >= 0 && ix < d.w ? row[ix] : 0
                        }
                    }
                }
                out += wo
            }
        }
    }
}

/// Folds `col` back onto samples `n0..<n0+g` of `dx`, accumulating. Parallel over input
/// channels: the rows of one channel only ever touch that channel's planes.
func col2im(_ dx: UnsafeMutablePointer<Float>, _ col: UnsafePointer<Float>,
            _ d: ConvDims, n0: Int, g: Int) {
    let hw = d.h * d.w, howo = d.ho * d.wo, ho = d.ho, wo = d.wo
    let kk = d.kh * d.kw
    parallelFor(d.c) { c in
        for k in 0..<kk {
            let i = k / d.kw, j = k % d.kw
            var src = col + (c * kk + k) * g * howo
            for s in 0..<g {
                let plane = dx + (c * d.n + n0 + s) * hw
                for oy in 0..<ho {
                    let iy = oy * d.sh - d.ph + i
                    if iy >= 0 && iy < d.h {
                        let row = plane + iy * d.w
                        if d.sw == 1 {
                            let lo = max(0, d.pw - j), hi = min(wo, d.w + d.pw - j)
                            if hi > lo {
                                let dst = row + (lo - d.pw + j), from = src + lo
                                for t in 0..<(hi - lo) { dst[t] += from[t] }
                            }
                        } else {
                            for ox in 0..<wo {
                                let ix = ox * d.sw - d.pw + j
                                if ix >= 0 && ix < d.w { row[ix] += src[ox] }
                            }
                        }
                    }
                    src += wo
                }
            }
        }
    }
}

/// y = conv(x, w) + b, overwriting `y`.
/// - Parameters:
///   - col: scratch of `colCapacity` floats; at least one sample's `C·KH·KW × HO·WO`.
public func conv2DForward(
    _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
    _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
    _ d: ConvDims, col: UnsafeMutablePointer<Float>, colCapacity: Int
) {
    precondition(colCapacity >= d.colRows * d.ho * d.wo, "conv2DForward: col buffer too small")
    let howo = d.ho * d.wo, plane = d.n * howo
    parallelFor(d.o, grain: 4) { o in
        (y + o * plane).update(repeating: bias?[o] ?? 0, count: plane)
    }
    let g = d.chunk(capacity: colCapacity)
    var n0 = 0
    while n0 < d.n {
        let gs = min(g, d.n - n0)
        im2col(col, x, d, n0: n0, g: gs)
        gemm(m: d.o, n: gs * howo, k: d.colRows, a: weight, b: col, ldb: gs * howo,
             beta: 1, c: y + n0 * howo, ldc: plane)
        n0 += gs
    }
}

/// Accumulates dweight, dbias and (when `dx` is given) dx from dy. The col buffer is refilled
/// from `x`, trading a cheap copy for not keeping every layer's im2col matrix alive.
public func conv2DBackward(
    dx: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>,
    dbias: UnsafeMutablePointer<Float>?,
    dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    _ d: ConvDims, col: UnsafeMutablePointer<Float>, colCapacity: Int
) {
    precondition(colCapacity >= d.colRows * d.ho * d.wo, "conv2DBackward: col buffer too small")
    let howo = d.ho * d.wo, plane = d.n * howo
    if let dbias {
        parallelFor(d.o, grain: 4) { o in
            dbias[o] += Float(channelSum(dy + o * plane, plane) { Double($0) })
        }
    }
    let g = d.chunk(capacity: colCapacity)
    var n0 = 0
    while n0 < d.n {
        let gs = min(g, d.n - n0)
        im2col(col, x, d, n0: n0, g: gs)
        gemm(transB: true, m: d.o, n: d.colRows, k: gs * howo,
             a: dy + n0 * howo, lda: plane, b: col, ldb: gs * howo, beta: 1, c: dweight)
        if let dx {
            gemm(transA: true, m: d.colRows, n: gs * howo, k: d.o,
                 a: weight, lda: d.colRows, b: dy + n0 * howo, ldb: plane, c: col, ldc: gs * howo)
            col2im(dx, col, d, n0: n0, g: gs)
        }
        n0 += gs
    }
}
