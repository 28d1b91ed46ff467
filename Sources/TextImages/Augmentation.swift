import Foundation

// The distributions of a synthetic sample. `seed` reproduces the original generator
// (yizt/crnn.pytorch generator.py, docs/generator.md); `rich` adds what it lacked.
// Pixels: `H`×`W` bytes, row-major, 0 = black.

/// The renderer's side of each augmentation preset (the names: `Vocabulary.AugmentationPreset`).
extension AugmentationPreset {
    /// Font sizes in pixels for a 32-pixel-thick line (scaled with the line's thickness).
    var sizes: [Int] {
        switch self {
        case .seed: return [30, 25, 20, 18]
        case .rich: return [30, 28, 26, 24, 22, 20, 18, 16]
        // `real` derives each line's size from its ink extent instead.
        case .real: return [32]
        }
    }

    static let maxLengths = [16, 19, 24, 26]
    static let minLength = 5
}

/// Grey of an RGB colour (ITU-R 601 luma, OpenCV's cvtColor weights).
@inline(__always)
func luma(_ r: Float, _ g: Float, _ b: Float) -> Float { 0.299 * r + 0.587 * g + 0.114 * b }

/// Fills `pixels` with the original's background: 10 % per-pixel noise (each channel uniform in
/// [0, 100)), 70 % a flat colour (channels 0–100), 20 % a random blend of the two.
func fillBackground(_ pixels: UnsafeMutableBufferPointer<UInt8>, rng: inout RandomSource) {
    let kind = rng.unit()
    let flat = luma(Float(rng.int(101)), Float(rng.int(101)), Float(rng.int(101)))
    if kind >= 0.1 && kind < 0.8 {
        pixels.update(repeating: UInt8(flat))
        return
    }
    let noiseWeight: Float = kind < 0.1 ? 1 : rng.unit()
    let flatPart = (1 - noiseWeight) * flat
    // Three 21-bit uniforms from one 64-bit draw: one draw per pixel keeps this cheap.
    let scale = noiseWeight * 100 / Float(1 << 21)
    let mask: UInt64 = (1 << 21) - 1
    for i in 0..<pixels.count {
        let r = rng.next()
        let v = luma(Float(r & mask), Float((r >> 21) & mask), Float((r >> 42) & mask))
        pixels[i] = UInt8(flatPart + v * scale)
    }
}

/// Text grey: the grey of a colour with channels uniform in 105–255.
func textGrey(rng: inout RandomSource) -> Int {
    Int(luma(Float(rng.int(in: 105...255)), Float(rng.int(in: 105...255)), Float(rng.int(in: 105...255))))
}

/// `rich` only: a small affine warp (rotation about the centre, shear along the text), bilinear,
/// edges clamped. `scratch` holds at least `width*height` bytes.
func warp(_ pixels: UnsafeMutableBufferPointer<UInt8>, scratch: UnsafeMutableBufferPointer<UInt8>,
          width: Int, height: Int, angle: Float, shear: Float, vertical: Bool) {
    _ = scratch.initialize(from: pixels)
    let c = cosf(angle), s = sinf(angle)
    let cx = Float(width) / 2, cy = Float(height) / 2
    for y in 0..<height {
        for x in 0..<width {
            var dx: Float = Float(x) + 0.5 - cx
            var dy: Float = Float(y) + 0.5 - cy
            if vertical { dy += shear * dx } else { dx += shear * dy }
            let sx: Float = c * dx + s * dy + cx - 0.5
            let sy: Float = -s * dx + c * dy + cy - 0.5
            let fx0: Float = sx.rounded(.down), fy0: Float = sy.rounded(.down)
            let x0 = max(0, min(width - 1, Int(fx0))), y0 = max(0, min(height - 1, Int(fy0)))
            let x1 = min(width - 1, x0 + 1), y1 = min(height - 1, y0 + 1)
            let fx: Float = max(0, min(1, sx - Float(x0))), fy: Float = max(0, min(1, sy - Float(y0)))
            let a = Float(scratch[y0 * width + x0]), b = Float(scratch[y0 * width + x1])
            let d = Float(scratch[y1 * width + x0]), e = Float(scratch[y1 * width + x1])
            let top: Float = a + (b - a) * fx
            let bottom: Float = d + (e - d) * fx
            pixels[y * width + x] = UInt8(max(0, min(255, top * (1 - fy) + bottom * fy + 0.5)))
        }
    }
}

/// `rich` only: a [1 2 1]/4 blur in both directions (`passes` times).
func blur(_ pixels: UnsafeMutableBufferPointer<UInt8>, scratch: UnsafeMutableBufferPointer<UInt8>,
          width: Int, height: Int, passes: Int) {
    for _ in 0..<passes {
        for y in 0..<height {
            let row = y * width
            for x in 0..<width {
                let l = Int(pixels[row + max(x - 1, 0)]), m = Int(pixels[row + x]), r = Int(pixels[row + min(x + 1, width - 1)])
                scratch[row + x] = UInt8((l + 2 * m + r + 2) >> 2)
            }
        }
        for y in 0..<height {
            let up = max(y - 1, 0) * width, row = y * width, down = min(y + 1, height - 1) * width
            for x in 0..<width {
                pixels[row + x] = UInt8((Int(scratch[up + x]) + 2 * Int(scratch[row + x]) + Int(scratch[down + x]) + 2) >> 2)
            }
        }
    }
}

/// `rich` only: additive noise, approximately Gaussian (sum of four uniforms) with `sigma`.
func addNoise(_ pixels: UnsafeMutableBufferPointer<UInt8>, sigma: Float, rng: inout RandomSource) {
    // Sum of 4 uniforms in [0,1) has variance 1/3; 16-bit parts of one 64-bit draw.
    let scale = sigma * 1.7320508 / 65536
    for i in 0..<pixels.count {
        let r = rng.next()
        let lo: Float = Float(r & 0xFFFF) + Float((r >> 16) & 0xFFFF)
        let hi: Float = Float((r >> 32) & 0xFFFF) + Float(r >> 48)
        let sum: Float = lo + hi - 131070
        pixels[i] = UInt8(max(0, min(255, Float(pixels[i]) + sum * scale)))
    }
}
