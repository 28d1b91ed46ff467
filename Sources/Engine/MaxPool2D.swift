// Max pooling with independent kernel, stride and padding per axis (the CRNN uses 2×2 / 2×2
// and 2×2 / stride (2, 1)). Padding counts as −∞, as in PyTorch. The forward keeps the argmax
// of every window (index inside its H×W plane) so the backward is one scatter.
//
// Shapes (P = C·N planes, layout-agnostic as long as planes are contiguous):
//   x [P, H, W]   y, indices [P, HO, WO]   HO = (H + 2·PH − KH) / SH + 1 (likewise WO)

/// The sizes of one pooling layer.
public struct PoolDims: Sendable, Equatable {
    public var planes, h, w, kh, kw, sh, sw, ph, pw: Int

    public init(planes: Int, h: Int, w: Int, kh: Int, kw: Int,
                sh: Int, sw: Int, ph: Int = 0, pw: Int = 0) {
        self.planes = planes; self.h = h; self.w = w; self.kh = kh; self.kw = kw
        self.sh = sh; self.sw = sw; self.ph = ph; self.pw = pw
    }

    public var ho: Int { (h + 2 * ph - kh) / sh + 1 }
    public var wo: Int { (w + 2 * pw - kw) / sw + 1 }
    public var inputCount: Int { planes * h * w }
    public var outputCount: Int { planes * ho * wo }
}

/// y = max over each window; `indices` receives the winning input position (first on ties).
public func maxPool2DForward(
    _ y: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>,
    _ x: UnsafePointer<Float>, _ d: PoolDims
) {
    let hw = d.h * d.w, howo = d.ho * d.wo
    if d.kh == 2 && d.kw == 2 && d.ph == 0 && d.pw == 0 {
        maxPool2x2Forward(y, indices: indices, x, d)
        return
    }
    parallelFor(d.planes, grain: 4) { p in
        let xs = x + p * hw, ys = y + p * howo, ids = indices + p * howo
        for oy in 0..<d.ho {
            let y0 = oy * d.sh - d.ph
            let ylo = max(0, y0), yhi = min(d.h, y0 + d.kh)
            for ox in 0..<d.wo {
                let x0 = ox * d.sw - d.pw
                let xlo = max(0, x0), xhi = min(d.w, x0 + d.kw)
                var best = -Float.infinity, at = ylo * d.w + xlo
                for iy in ylo..<yhi {
                    for ix in xlo..<xhi {
                        let v = xs[iy * d.w + ix]
                        // `v != v` keeps a NaN, as PyTorch propagates it rather than hiding it.
                        if v > best || v != v { best = v; at = iy * d.w + ix; if v != v { break } }
                    }
                }
                ys[oy * d.wo + ox] = best
                ids[oy * d.wo + ox] = Int32(at)
            }
        }
    }
}

/// The CRNN's only pooling shape (2×2 windows, no padding) without per-window bounds; same
/// results and tie order as the general loop. Selects rather than branches (which value wins is
/// data: the branchy loop was 7.5 % of a training step of the small preset): `>` takes the first
/// maximum as the general loop does; a plane holding a NaN, which `>` cannot see, is redone by
/// the exact loop, which propagates it as PyTorch does.
private func maxPool2x2Forward(
    _ y: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>,
    _ x: UnsafePointer<Float>, _ d: PoolDims
) {
    let hw = d.h * d.w, howo = d.ho * d.wo, w = d.w, sw = d.sw
    parallelFor(d.planes, grain: 4) { p in
        let xs = x + p * hw, ys = y + p * howo, ids = indices + p * howo
        var sawNaN: UInt8 = 0
        for oy in 0..<d.ho {
            let top = oy * d.sh * w
            for ox in 0..<d.wo {
                let i0 = top + ox * sw, i1 = i0 + 1, i2 = i0 + w, i3 = i2 + 1
                let a = xs[i0], b = xs[i1], c = xs[i2], e = xs[i3]
                sawNaN |= (a != a ? 1 : 0) | (b != b ? 1 : 0) | (c != c ? 1 : 0) | (e != e ? 1 : 0)
                var best = a, at = i0
                let t1 = b > best; best = t1 ? b : best; at = t1 ? i1 : at
                let t2 = c > best; best = t2 ? c : best; at = t2 ? i2 : at
                let t3 = e > best; best = t3 ? e : best; at = t3 ? i3 : at
                ys[oy * d.wo + ox] = best
                ids[oy * d.wo + ox] = Int32(at)
            }
        }
        if sawNaN != 0 { maxPool2x2PlaneExact(ys, ids, xs, d) }
    }
}

/// One plane of 2×2 pooling with the NaN rule: a NaN in a window wins it (first one on several).
private func maxPool2x2PlaneExact(_ ys: UnsafeMutablePointer<Float>, _ ids: UnsafeMutablePointer<Int32>,
                                  _ xs: UnsafePointer<Float>, _ d: PoolDims) {
    let w = d.w
    for oy in 0..<d.ho {
        let top = oy * d.sh * w
        for ox in 0..<d.wo {
            let i0 = top + ox * d.sw, i1 = i0 + 1, i2 = i0 + w, i3 = i2 + 1
            var best = xs[i0], at = i0
            // `!(v <= best)` also takes a NaN, which PyTorch propagates.
            if !(xs[i1] <= best) && best == best { best = xs[i1]; at = i1 }
            if !(xs[i2] <= best) && best == best { best = xs[i2]; at = i2 }
            if !(xs[i3] <= best) && best == best { best = xs[i3]; at = i3 }
            ys[oy * d.wo + ox] = best
            ids[oy * d.wo + ox] = Int32(at)
        }
    }
}

/// The values of `maxPool2DForward` for 2×2 windows without padding, without the argmax: what an
/// eval forward needs. Same values, NaN included (any NaN in a window gives NaN); the selects
/// vectorise where the training loop's data-dependent branches did not (13 % of reading a line
/// at batch 1).
public func maxPool2x2ValuesForward(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ d: PoolDims) {
    precondition(d.kh == 2 && d.kw == 2 && d.ph == 0 && d.pw == 0, "maxPool2x2ValuesForward: 2×2 windows only")
    @inline(__always) func larger(_ a: Float, _ b: Float) -> Float { a > b || a != a ? a : b }
    let hw = d.h * d.w, howo = d.ho * d.wo, w = d.w, sw = d.sw
    parallelFor(d.planes, grain: 4) { p in
        let xs = x + p * hw, ys = y + p * howo
        for oy in 0..<d.ho {
            let top = xs + oy * d.sh * w, bottom = top + w, out = ys + oy * d.wo
            for ox in 0..<d.wo {
                let i = ox * sw
                out[ox] = larger(larger(top[i], top[i + 1]), larger(bottom[i], bottom[i + 1]))
            }
        }
    }
}

/// dx[argmax] += dy for every window (overlapping windows add up).
public func maxPool2DBackward(
    dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>,
    indices: UnsafePointer<Int32>, _ d: PoolDims
) {
    let hw = d.h * d.w, howo = d.ho * d.wo
    parallelFor(d.planes, grain: 4) { p in
        let dxs = dx + p * hw, dys = dy + p * howo, ids = indices + p * howo
        for i in 0..<howo { dxs[Int(ids[i])] += dys[i] }
    }
}
