// 3×3 stride-1 pad-1 convolution by Winograd F(2×2, 3×3) (Lavin & Gray 2016): each 4×4 input
// tile and 3×3 filter go to a 16-point transform domain where the convolution is 16 GEMMs with
// 2.25× fewer multiply-adds than im2col, then each 4×4 result folds back to a 2×2 output tile.
// Backward uses the adjoints of the same transforms, so the gradients are exact for this forward.
//
//   Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A       Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]
//   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]     Aᵀ = [1 1 1 0; 0 1 −1 −1]
//
// Shapes (CNHW as in Conv2D.swift; tiles TH = ⌈H/2⌉, TW = ⌈W/2⌉, P = g·TH·TW for g samples):
//   x [C, N, H, W]   y [O, N, H, W]   weight [O, C, 3, 3]
//   U, dU [16, O, C] (transformed filters)   V [16, C, P]   M [16, O, P]   (ξ = 4·row + column)

extension ConvDims {
    /// Whether `winogradForward` computes this convolution (3×3, stride 1, padding 1).
    public var supportsWinograd: Bool { kh == 3 && kw == 3 && sh == 1 && sw == 1 && ph == 1 && pw == 1 }
    var tilesPerSample: Int { ((h + 1) / 2) * ((w + 1) / 2) }
    /// Scratch floats per sample (V and M).
    public var winogradScratchPerSample: Int { 16 * (c + o) * tilesPerSample }
    /// Samples per chunk for `capacity` floats of scratch.
    func winogradChunk(capacity: Int) -> Int { max(1, min(n, capacity / winogradScratchPerSample)) }
}

// MARK: - Filters

/// U[ξ][o][c] = (G g Gᵀ)[ξ] for every filter.
public func winogradFilterTransform(_ u: UnsafeMutablePointer<Float>, _ weight: UnsafePointer<Float>, o: Int, c: Int) {
    let oc = o * c
    parallelFor(o) { oi in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 12) { t in
            let t = t.baseAddress!
            for ci in 0..<c {
                let g = weight + (oi * c + ci) * 9
                for j in 0..<3 {  // G·g, column by column: 4×3
                    t[j] = g[j]; t[3 + j] = 0.5 * (g[j] + g[3 + j] + g[6 + j])
                    t[6 + j] = 0.5 * (g[j] - g[3 + j] + g[6 + j]); t[9 + j] = g[6 + j]
                }
                let base = oi * c + ci
                for i in 0..<4 {  // (G·g)·Gᵀ, row by row
                    let r = t + 3 * i
                    u[(4 * i) * oc + base] = r[0]
                    u[(4 * i + 1) * oc + base] = 0.5 * (r[0] + r[1] + r[2])
                    u[(4 * i + 2) * oc + base] = 0.5 * (r[0] - r[1] + r[2])
                    u[(4 * i + 3) * oc + base] = r[2]
                }
            }
        }
    }
}

/// dweight += Gᵀ dU G for every filter (the adjoint of `winogradFilterTransform`).
func winogradFilterTransformAdjoint(_ dweight: UnsafeMutablePointer<Float>, _ du: UnsafePointer<Float>, o: Int, c: Int) {
    let oc = o * c
    parallelFor(o) { oi in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 12) { t in
            let t = t.baseAddress!
            for ci in 0..<c {
                let base = oi * c + ci
                for i in 0..<4 {  // rows: 4×4 → 4×3 via Gᵀ on the right
                    let u0 = du[(4 * i) * oc + base], u1 = du[(4 * i + 1) * oc + base]
                    let u2 = du[(4 * i + 2) * oc + base], u3 = du[(4 * i + 3) * oc + base]
                    t[3 * i] = u0 + 0.5 * (u1 + u2)
                    t[3 * i + 1] = 0.5 * (u1 - u2)
                    t[3 * i + 2] = 0.5 * (u1 + u2) + u3
                }
                let g = dweight + base * 9
                for j in 0..<3 {  // columns: 4×3 → 3×3 via Gᵀ on the left
                    let (a, b, cc, d) = (t[j], t[3 + j], t[6 + j], t[9 + j])
                    g[j] += a + 0.5 * (b + cc)
                    g[3 + j] += 0.5 * (b - cc)
                    g[6 + j] += 0.5 * (b + cc) + d
                }
            }
        }
    }
}

// MARK: - Data transforms
//
// All four work on one row of tiles at a time (fixed channel, sample and tile row ty) so the
// inner loops run over tx with unit or stride-2 access and vectorise; the 1-D transforms are
// applied across the four image rows first, then along the row.

/// V[ξ][c][p] = (Bᵀ d B)[ξ] for the tiles of samples n0..<n0+g (zeros past the borders).
func winogradInputTransform(_ v: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                            _ d: ConvDims, n0: Int, g: Int) {
    let th = (d.h + 1) / 2, tw = (d.w + 1) / 2, p = g * th * tw, cp = d.c * p
    let wp = 2 * tw + 2  // padded row: column k holds x column k − 1
    parallelFor(d.c) { c in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 8 * wp) { buffer in
            let r = buffer.baseAddress!, z = r + 4 * wp
            for s in 0..<g {
                let plane = x + (c * d.n + n0 + s) * d.h * d.w
                for ty in 0..<th {
                    for i in 0..<4 {
                        let row = r + i * wp, iy = 2 * ty - 1 + i
                        row.update(repeating: 0, count: wp)
                        if iy >= 0 && iy < d.h { (row + 1).update(from: plane + iy * d.w, count: d.w) }
                    }
                    let (r0, r1, r2, r3) = (r, r + wp, r + 2 * wp, r + 3 * wp)
                    let (z0, z1, z2, z3) = (z, z + wp, z + 2 * wp, z + 3 * wp)
                    for k in 0..<wp {
                        z0[k] = r0[k] - r2[k]; z1[k] = r1[k] + r2[k]
                        z2[k] = r2[k] - r1[k]; z3[k] = r1[k] - r3[k]
                    }
                    let col0 = c * p + (s * th + ty) * tw
                    for a in 0..<4 {
                        let q = z + a * wp
                        let o0 = v + 4 * a * cp + col0, o1 = o0 + cp, o2 = o1 + cp, o3 = o2 + cp
                        for tx in 0..<tw {
                            let k = 2 * tx
                            o0[tx] = q[k] - q[k + 2]; o1[tx] = q[k + 1] + q[k + 2]
                            o2[tx] = q[k + 2] - q[k + 1]; o3[tx] = q[k + 1] - q[k + 3]
                        }
                    }
                }
            }
        }
    }
}

/// dx += the adjoint of the input transform of dV, tile by tile (tiles overlap by two pixels).
func winogradInputTransformAdjoint(_ dx: UnsafeMutablePointer<Float>, _ dv: UnsafePointer<Float>,
                                   _ d: ConvDims, n0: Int, g: Int) {
    let th = (d.h + 1) / 2, tw = (d.w + 1) / 2, p = g * th * tw, cp = d.c * p
    let wp = 2 * tw + 2
    parallelFor(d.c) { c in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * wp) { buffer in
            let q = buffer.baseAddress!
            for s in 0..<g {
                let plane = dx + (c * d.n + n0 + s) * d.h * d.w
                for ty in 0..<th {
                    q.update(repeating: 0, count: 4 * wp)
                    let col0 = c * p + (s * th + ty) * tw
                    for a in 0..<4 {
                        let v0 = dv + 4 * a * cp + col0, v1 = v0 + cp, v2 = v1 + cp, v3 = v2 + cp
                        let qa = q + a * wp
                        // B along the row, added at the tile's four columns; even and odd tile
                        // halves in separate loops so no two iterations touch one column.
                        for tx in 0..<tw {
                            qa[2 * tx] += v0[tx]
                            qa[2 * tx + 1] += v1[tx] - v2[tx] + v3[tx]
                        }
                        for tx in 0..<tw {
                            qa[2 * tx + 2] += v1[tx] + v2[tx] - v0[tx]
                            qa[2 * tx + 3] -= v3[tx]
                        }
                    }
                    let (q0, q1, q2, q3) = (q + 1, q + wp + 1, q + 2 * wp + 1, q + 3 * wp + 1)
                    for i in 0..<4 {
                        let iy = 2 * ty - 1 + i
                        if iy < 0 || iy >= d.h { continue }
                        let out = plane + iy * d.w
                        switch i {  // B across the four rows
                        case 0: for k in 0..<d.w { out[k] += q0[k] }
                        case 1: for k in 0..<d.w { out[k] += q1[k] - q2[k] + q3[k] }
                        case 2: for k in 0..<d.w { out[k] += q1[k] + q2[k] - q0[k] }
                        default: for k in 0..<d.w { out[k] -= q3[k] }
                        }
                    }
                }
            }
        }
    }
}

/// y = Aᵀ m A + bias for the output tiles of samples n0..<n0+g (overwriting y).
func winogradOutputTransform(_ y: UnsafeMutablePointer<Float>, _ m: UnsafePointer<Float>,
                             bias: UnsafePointer<Float>?, _ d: ConvDims, n0: Int, g: Int) {
    let th = (d.h + 1) / 2, tw = (d.w + 1) / 2, p = g * th * tw, op = d.o * p
    let full = d.w / 2  // tiles whose two output columns are both inside the image
    parallelFor(d.o) { o in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 8 * tw) { buffer in
            let r = buffer.baseAddress!
            let b = bias?[o] ?? 0
            for s in 0..<g {
                let plane = y + (o * d.n + n0 + s) * d.h * d.w
                for ty in 0..<th {
                    let col0 = o * p + (s * th + ty) * tw
                    for j in 0..<4 {  // Aᵀ across the four rows of each column j
                        let m0 = m + j * op + col0, m1 = m0 + 4 * op, m2 = m1 + 4 * op, m3 = m2 + 4 * op
                        let top = r + j * tw, bottom = r + (4 + j) * tw
                        for tx in 0..<tw {
                            top[tx] = m0[tx] + m1[tx] + m2[tx]
                            bottom[tx] = m1[tx] - m2[tx] - m3[tx]
                        }
                    }
                    for i in 0..<2 where 2 * ty + i < d.h {
                        let out = plane + (2 * ty + i) * d.w
                        let c0 = r + 4 * i * tw, c1 = c0 + tw, c2 = c1 + tw, c3 = c2 + tw
                        for tx in 0..<full {  // A along the row
                            out[2 * tx] = c0[tx] + c1[tx] + c2[tx] + b
                            out[2 * tx + 1] = c1[tx] - c2[tx] - c3[tx] + b
                        }
                        if tw > full { out[2 * full] = c0[full] + c1[full] + c2[full] + b }
                    }
                }
            }
        }
    }
}

/// dM = A dY Aᵀ for the output tiles of samples n0..<n0+g (zeros past the borders).
func winogradOutputTransformAdjoint(_ dm: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>,
                                    _ d: ConvDims, n0: Int, g: Int) {
    let th = (d.h + 1) / 2, tw = (d.w + 1) / 2, p = g * th * tw, op = d.o * p
    let wp = 2 * tw
    parallelFor(d.o) { o in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * wp) { buffer in
            let rows = buffer.baseAddress!  // two dY rows padded to an even width
            for s in 0..<g {
                let plane = dy + (o * d.n + n0 + s) * d.h * d.w
                for ty in 0..<th {
                    rows.update(repeating: 0, count: 2 * wp)
                    rows.update(from: plane + 2 * ty * d.w, count: d.w)
                    if 2 * ty + 1 < d.h { (rows + wp).update(from: plane + (2 * ty + 1) * d.w, count: d.w) }
                    let col0 = o * p + (s * th + ty) * tw
                    for j in 0..<4 {
                        let out0 = dm + j * op + col0, out1 = out0 + 4 * op
                        let out2 = out1 + 4 * op, out3 = out2 + 4 * op
                        for tx in 0..<tw {
                            // Aᵀ along each row: (g0, g0 + g1, g0 − g1, −g1), column j of it.
                            let a0 = rows[2 * tx], a1 = rows[2 * tx + 1]
                            let b0 = rows[wp + 2 * tx], b1 = rows[wp + 2 * tx + 1]
                            let a = j == 0 ? a0 : j == 1 ? a0 + a1 : j == 2 ? a0 - a1 : -a1
                            let b = j == 0 ? b0 : j == 1 ? b0 + b1 : j == 2 ? b0 - b1 : -b1
                            // A across the two rows.
                            out0[tx] = a; out1[tx] = a + b; out2[tx] = a - b; out3[tx] = -b
                        }
                    }
                }
            }
        }
    }
}

// MARK: - Convolution

/// y = conv3×3(x, w) + b by Winograd; `u` receives the transformed filters [16, O, C] (the
/// backward reuses them), `scratch` holds V and M for a chunk of samples. With
/// `transformFilters: false`, `u` already holds `weight`'s transform (weights that do not change).
public func winogradForward(
    _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
    _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?, _ d: ConvDims,
    u: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, capacity: Int,
    transformFilters: Bool = true
) {
    precondition(d.supportsWinograd && capacity >= d.winogradScratchPerSample, "winogradForward: bad call")
    if transformFilters { winogradFilterTransform(u, weight, o: d.o, c: d.c) }
    let g = d.winogradChunk(capacity: capacity), tiles = d.tilesPerSample
    var n0 = 0
    while n0 < d.n {
        let gs = min(g, d.n - n0), p = gs * tiles
        let v = scratch, m = scratch + 16 * d.c * p
        winogradInputTransform(v, x, d, n0: n0, g: gs)
        for xi in 0..<16 {
            gemm(m: d.o, n: p, k: d.c, a: u + xi * d.o * d.c, b: v + xi * d.c * p, c: m + xi * d.o * p)
        }
        winogradOutputTransform(y, m, bias: bias, d, n0: n0, g: gs)
        n0 += gs
    }
}

/// Accumulates dweight, dbias and (when given) dx for `winogradForward`; `u` must still hold
/// that forward's transformed filters, `du` is scratch [16, O, C].
public func winogradBackward(
    dx: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>,
    dbias: UnsafeMutablePointer<Float>?, dy: UnsafePointer<Float>, x: UnsafePointer<Float>,
    _ d: ConvDims, u: UnsafePointer<Float>, du: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>, capacity: Int
) {
    precondition(d.supportsWinograd && capacity >= d.winogradScratchPerSample, "winogradBackward: bad call")
    let plane = d.n * d.h * d.w
    if let dbias {
        parallelFor(d.o, grain: 4) { o in
            dbias[o] += Float(channelSum(dy + o * plane, plane) { Double($0) })
        }
    }
    let g = d.winogradChunk(capacity: capacity), tiles = d.tilesPerSample
    var n0 = 0
    while n0 < d.n {
        let gs = min(g, d.n - n0), p = gs * tiles
        let v = scratch, dm = scratch + 16 * d.c * p
        winogradInputTransform(v, x, d, n0: n0, g: gs)
        winogradOutputTransformAdjoint(dm, dy, d, n0: n0, g: gs)
        for xi in 0..<16 {
            // dU = dM·Vᵀ, summed over chunks; then V is free to take dV = Uᵀ·dM.
            gemm(transB: true, m: d.o, n: d.c, k: p, a: dm + xi * d.o * p, b: v + xi * d.c * p,
                 beta: n0 == 0 ? 0 : 1, c: du + xi * d.o * d.c)
            if dx != nil {
                gemm(transA: true, m: d.c, n: p, k: d.o, a: u + xi * d.o * d.c, b: dm + xi * d.o * p,
                     c: v + xi * d.c * p)
            }
        }
        if let dx { winogradInputTransformAdjoint(dx, v, d, n0: n0, g: gs) }
        n0 += gs
    }
    winogradFilterTransformAdjoint(dweight, du, o: d.o, c: d.c)
}
