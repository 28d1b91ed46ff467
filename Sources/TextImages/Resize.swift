// Resizing: a separable triangle filter whose support widens with the scale factor, so it is
// bilinear when enlarging and an area-like average when shrinking (no aliasing on big scans).
import Foundation

extension GreyImage {
    /// This image scaled to exactly `width`×`height`.
    public func resized(width newWidth: Int, height newHeight: Int) -> GreyImage {
        precondition(newWidth > 0 && newHeight > 0, "resize target must be positive")
        if newWidth == width && newHeight == height { return self }
        let xTaps = ResizeTaps(source: width, target: newWidth)
        let yTaps = ResizeTaps(source: height, target: newHeight)
        // Horizontal pass into floats (height × newWidth), then vertical pass to bytes.
        var mid = [Float](repeating: 0, count: height * newWidth)
        for y in 0..<height {
            let row = y * width
            for x in 0..<newWidth {
                var sum: Float = 0
                for t in xTaps.range(x) { sum += Float(pixels[row + t.index]) * t.weight }
                mid[y * newWidth + x] = sum
            }
        }
        var out = GreyImage(width: newWidth, height: newHeight)
        for y in 0..<newHeight {
            let taps = yTaps.range(y)
            for x in 0..<newWidth {
                var sum: Float = 0
                for t in taps { sum += mid[t.index * newWidth + x] * t.weight }
                out.pixels[y * newWidth + x] = UInt8(max(0, min(255, sum.rounded())))
            }
        }
        return out
    }

    /// Scaled to `height` keeping the aspect ratio (width at least 1, at most `maxWidth`).
    public func resized(toHeight target: Int, maxWidth: Int = .max) -> GreyImage {
        let w = Int((Double(width) * Double(target) / Double(max(height, 1))).rounded())
        return resized(width: min(max(w, 1), maxWidth), height: target)
    }

    /// Scaled to `width` keeping the aspect ratio (height at least 1, at most `maxHeight`).
    public func resized(toWidth target: Int, maxHeight: Int = .max) -> GreyImage {
        let h = Int((Double(height) * Double(target) / Double(max(width, 1))).rounded())
        return resized(width: target, height: min(max(h, 1), maxHeight))
    }

    /// Padded on the right and bottom to `width`×`height` by repeating the last column and row
    /// (no artificial edge for the model to read as a stroke). Crops when larger.
    public func padded(width newWidth: Int, height newHeight: Int) -> GreyImage {
        var out = GreyImage(width: newWidth, height: newHeight)
        guard width > 0 && height > 0 else { return out }
        for y in 0..<newHeight {
            let sy = min(y, height - 1)
            for x in 0..<newWidth { out.pixels[y * newWidth + x] = pixels[sy * width + min(x, width - 1)] }
        }
        return out
    }

    /// The model's input: horizontal text scaled to `height` then padded to `width`; vertical text
    /// scaled to `width` then padded to `height`.
    public func fitted(width targetWidth: Int, height targetHeight: Int, vertical: Bool) -> GreyImage {
        let scaled = vertical
            ? resized(toWidth: targetWidth, maxHeight: targetHeight)
            : resized(toHeight: targetHeight, maxWidth: targetWidth)
        return scaled.padded(width: targetWidth, height: targetHeight)
    }
}

/// Per output coordinate, the source indices and normalised weights of a triangle filter.
struct ResizeTaps {
    struct Tap { var index: Int; var weight: Float }
    private var taps: [Tap] = []
    private var starts: [Int] = []

    init(source: Int, target: Int) {
        let scale = Double(source) / Double(target)
        let support = max(scale, 1)
        for o in 0..<target {
            let center = (Double(o) + 0.5) * scale
            let lo = max(0, Int((center - support).rounded(.down)))
            let hi = min(source - 1, Int((center + support).rounded(.up)))
            starts.append(taps.count)
            var total = 0.0
            let first = taps.count
            for i in lo...max(lo, hi) {
                let w = max(0, 1 - abs((Double(i) + 0.5 - center) / support))
                if w > 0 { taps.append(Tap(index: i, weight: Float(w))); total += w }
            }
            if total == 0 { taps.append(Tap(index: min(max(Int(center), 0), source - 1), weight: 1)); total = 1 }
            for k in first..<taps.count { taps[k].weight = Float(Double(taps[k].weight) / total) }
        }
        starts.append(taps.count)
    }

    func range(_ o: Int) -> ArraySlice<Tap> { taps[starts[o]..<starts[o + 1]] }
}
