// The `real` augmentation: a synthetic line shaped like a crop of a real page after `predict`'s
// fitting. A real line is cut around its ink (tightly or with a margin), scaled so its thickness
// is 32 px, and padded along the text by repeating its last column (GreyImage.padded). So here
// the glyph size follows from the ink extent and the chosen margins, the line ends where its
// crop ends, and the rest of the canvas repeats that edge. Degradations then imitate scans,
// photos and re-saved files. Pixels: `H`×`W` bytes, row-major, 0 = black.
import Foundation

/// The distributions of the `real` preset, in one place.
enum RealisticLine {
    /// Text lengths 1…24: real crops hold single words and numbers as often as long lines.
    static let maxLength = 24
    /// Margins across the line as a fraction of the ink's thickness: tight crops (half the
    /// lines) or loose ones up to 75 % on each side: boxes from a detector, drawn by hand or cut
    /// at the line spacing often leave half a line or more, so the glyphs fill as little as 40 %
    /// of the 32 px (with 40 % at most, lines whose glyphs filled under 60 % read far worse).
    static let tightMargin: ClosedRange<Float> = 0...0.08
    static let looseMargin: ClosedRange<Float> = 0...0.75
    /// Margin before and after the text along the line, as a fraction of the ink's thickness.
    static let tightLead: ClosedRange<Float> = 0...0.15
    static let looseLead: ClosedRange<Float> = 0...1.2
    /// Reference size (px) at which the ink extent per em is measured.
    static let referenceSize = 32
    /// The least contrast between text and background (grey levels).
    static let minimumContrast = 60
    /// Horizontal lines set on one pitch, as monospaced faces set them.
    static let monospaceShare: Float = 0.15

    /// The line's stroke weight: the 12 training faces have few bold cuts and no black ones,
    /// while the text a model reads comes in every weight.
    static func strokeWeight(rng: inout RandomSource) -> StrokeWeight {
        let u = rng.unit()
        return u < 0.12 ? .lighter : u < 0.6 ? .regular : u < 0.84 ? .bolder : .heavy
    }
}

extension SyntheticSource {
    /// Draws sample (seed, index) of the `real` preset into `canvas`.
    func drawRealistic(index: UInt64, seed: UInt64) -> Details {
        var rng = RandomSource(seed: seed, index: index)
        let horizontal = direction == .horizontal
        let cross = horizontal ? height : width, along = horizontal ? width : height

        let length = 1 + rng.int(RealisticLine.maxLength)
        let words = tables.wordText && rng.chance(WordText.share)
        let faceNumber = (words ? chooseWords(length: length, rng: &rng) : nil) ?? chooseText(length: length, rng: &rng)
        let face = faces[faceNumber]
        let weight = RealisticLine.strokeWeight(rng: &rng)

        // Across the line: margins, hence the ink's thickness in output pixels, hence the size.
        let tight = rng.chance(0.5)
        let marginRange = tight ? RealisticLine.tightMargin : RealisticLine.looseMargin
        let before = rng.float(marginRange.lowerBound, marginRange.upperBound)
        let after = rng.float(marginRange.lowerBound, marginRange.upperBound)
        let inkThickness = Float(cross) / (1 + before + after)
        let referenceInk = inkExtent(face: face, faceNumber: faceNumber, size: RealisticLine.referenceSize, weight: weight)
            .map { Float($0.high - $0.low) } ?? Float(RealisticLine.referenceSize) * 0.75
        let size = max(8, min(3 * cross, Int((Float(RealisticLine.referenceSize) * inkThickness / referenceInk).rounded())))

        // Along the line: letter spacing for the whole line plus a little per character.
        let spacing = rng.float(-0.04, 0.18) * Float(size)
        layout.glyphs.removeAll(keepingCapacity: true)
        layout.gaps.removeAll(keepingCapacity: true)
        for c in layout.classes {
            let scalar = charset.scalar(ofClass: Int(c))!.value
            layout.glyphs.append(cache.glyph(face: face, faceNumber: faceNumber, size: size, scalar: scalar, vertical: !horizontal,
                                             weight: weight))
            layout.gaps.append(Int((spacing + rng.float(-0.03, 0.03) * Float(size)).rounded()))
        }
        // Blank-only text (spaces): place it as a typical line would sit.
        let low = inkExtent(face: face, faceNumber: faceNumber, size: size, weight: weight)?.low ?? -size * 3 / 4
        // Where the ink starts across the line (the baseline or the column's centre is there
        // minus the ink's own offset).
        let crossOrigin = Int((before * inkThickness).rounded()) - low
        let leadRange = rng.chance(0.6) ? RealisticLine.tightLead : RealisticLine.looseLead
        let lead = Int((rng.float(leadRange.lowerBound, leadRange.upperBound) * inkThickness).rounded())
        let trail = Int((rng.float(leadRange.lowerBound, leadRange.upperBound) * inkThickness).rounded())
        let colours = LineColours(rng: &rng)
        // Typewriter and code faces give every character one cell of 0.5–0.7 em: narrow ones
        // (i, l, 1, .) stand in wide gaps. Each glyph's ink centred in its cell; a glyph wider
        // than the cell (m, W, @) gets a cell of its own width.
        let pitch = horizontal && rng.chance(RealisticLine.monospaceShare)
            ? Int((rng.float(0.5, 0.7) * Float(size)).rounded()) : nil
        func cell(_ glyph: Glyph) -> Int? { pitch.map { max($0, glyph.width + 2) } }

        var drawn = 0
        var inkEnd = 0
        mask.withUnsafeMutableBufferPointer { mask in
            mask.update(repeating: 0)
            // The crop starts at the first glyph's ink (centred in its cell when monospaced).
            let first = layout.glyphs.first.map { glyph in
                !horizontal ? glyph.verticalTop : cell(glyph).map { ($0 - glyph.width) / 2 } ?? glyph.left
            } ?? 0
            var position = lead - first
            for (glyph, gap) in zip(layout.glyphs, layout.gaps) {
                let advance = cell(glyph) ?? (horizontal ? glyph.advance : glyph.verticalAdvance)
                let origin = position + (cell(glyph).map { ($0 - glyph.width) / 2 - glyph.left } ?? 0)
                let inkFar = origin + (horizontal ? glyph.left + glyph.width : glyph.verticalTop + glyph.rows)
                // A character that does not fit ends the line, and leaves the label too.
                if inkFar > along || position + advance > along + size / 4 { break }
                let wobble = rng.int(in: -1...1) * (rng.chance(0.2) ? 1 : 0)
                if horizontal {
                    blitCoverage(glyph, x: origin + glyph.left, y: crossOrigin + wobble + glyph.top, into: mask)
                } else {
                    blitCoverage(glyph, x: crossOrigin + wobble + glyph.verticalLeft, y: position + glyph.verticalTop, into: mask)
                }
                if glyph.width > 0 { inkEnd = max(inkEnd, inkFar) }
                drawn += 1
                position += advance + gap
            }
            dilateOrErode(mask, rng: &rng)
        }
        var cropEnd = min(along, max(inkEnd + trail, 1))

        canvas.withUnsafeMutableBufferPointer { canvas in
            scratch.withUnsafeMutableBufferPointer { scratch in
                colours.fillBackground(canvas, width: width, height: height, rng: &rng)
                mask.withUnsafeBufferPointer { composite(text: $0, level: colours.text, onto: canvas) }
                if rng.chance(0.4) { cropEnd = stretch(canvas, cropEnd: cropEnd, factor: rng.float(0.7, 1.3)) }
                degrade(canvas, scratch: scratch, rng: &rng)
                repeatEdge(canvas, from: cropEnd)
            }
        }
        let label = visibleLabel(layout.classes.prefix(drawn))
        return Details(label: label, face: face.spec, pixelSize: size, drawnGlyphs: drawn, intended: layout.classes,
                       weight: weight, pitch: pitch)
    }

    /// The ink's extent across the line (px) of `layout.classes` at `size`: the union of the
    /// glyphs' boxes relative to the baseline (horizontal) or the column's centre (vertical);
    /// nil when no glyph has ink (spaces only).
    private func inkExtent(face: FontFace, faceNumber: Int, size: Int, weight: StrokeWeight) -> (low: Int, high: Int)? {
        var low = Int.max, high = Int.min
        for c in layout.classes {
            let scalar = charset.scalar(ofClass: Int(c))!.value
            let glyph = cache.glyph(face: face, faceNumber: faceNumber, size: size, scalar: scalar,
                                    vertical: direction == .vertical, weight: weight)
            guard glyph.width > 0 else { continue }
            if direction == .horizontal {
                low = min(low, glyph.top); high = max(high, glyph.top + glyph.rows)
            } else {
                low = min(low, glyph.verticalLeft); high = max(high, glyph.verticalLeft + glyph.width)
            }
        }
        return low < high ? (low, high) : nil
    }

    /// Adds `glyph`'s coverage at (x, y) into `mask` (maximum where glyphs overlap), clipped.
    private func blitCoverage(_ glyph: Glyph, x: Int, y: Int, into mask: UnsafeMutableBufferPointer<UInt8>) {
        forEachCoveredPixel(of: glyph, x: x, y: y) { a, i in if a > mask[i] { mask[i] = a } }
    }

    /// Pixel-level weight on top of the outline's: a one-pixel dilation along x or an erosion, sometimes.
    private func dilateOrErode(_ mask: UnsafeMutableBufferPointer<UInt8>, rng: inout RandomSource) {
        let choice = rng.unit()
        guard choice < 0.25 else { return }
        let bolder = choice < 0.15
        for y in 0..<height {
            let row = y * width
            var previous = mask[row]
            for x in 1..<width {
                let current = mask[row + x]
                mask[row + x] = bolder ? max(current, previous) : UInt8((Int(current) + Int(min(current, previous))) / 2)
                previous = current
            }
        }
    }

    /// canvas = canvas + (level − canvas) · coverage.
    private func composite(text mask: UnsafeBufferPointer<UInt8>, level: Int, onto canvas: UnsafeMutableBufferPointer<UInt8>) {
        for i in 0..<canvas.count {
            let a = Int(mask[i])
            if a == 0 { continue }
            let p = Int(canvas[i])
            canvas[i] = UInt8(p + ((level - p) * a + 127) / 255)
        }
    }

    /// Skew, lost resolution, blur, noise and JPEG artefacts, each with its own probability.
    private func degrade(_ canvas: UnsafeMutableBufferPointer<UInt8>, scratch: UnsafeMutableBufferPointer<UInt8>,
                         rng: inout RandomSource) {
        if rng.chance(0.5) {
            let angle = rng.float(-1.5, 1.5) * Float.pi / 180
            // Italic and oblique faces lean right by 10–20° (shear 0.18–0.36); others a little.
            let shear = rng.chance(0.4) ? rng.float(0.1, 0.38) : rng.float(-0.08, 0.08)
            warp(canvas, scratch: scratch, width: width, height: height, angle: angle, shear: shear,
                 vertical: direction == .vertical)
        }
        if rng.chance(0.3) {
            // A source line 12–26 px thick, enlarged to 32 px by predict.
            let factor = rng.float(0.4, 0.8)
            let small = GreyImage(width: width, height: height, pixels: Array(canvas))
                .resized(width: max(4, Int(Float(width) * factor)), height: max(4, Int(Float(height) * factor)))
                .resized(width: width, height: height)
            _ = canvas.update(fromContentsOf: small.pixels)
        }
        if rng.chance(0.35) { blur(canvas, scratch: scratch, width: width, height: height, passes: 1 + rng.int(3)) }
        if rng.chance(0.5) { addNoise(canvas, sigma: rng.float(2, 14), rng: &rng) }
        if rng.chance(0.4) {
            let quality = rng.int(in: 30...90)
            if jpeg == nil { jpeg = JPEGRoundTrip() }
            jpeg?.apply(canvas, width: width, height: height, quality: quality)
        }
    }

    /// Condensed or extended type: the crop scaled along the line by `factor` (less when the line
    /// would not fit, so no drawn character is cut off); returns the new crop end.
    private func stretch(_ canvas: UnsafeMutableBufferPointer<UInt8>, cropEnd: Int, factor: Float) -> Int {
        let along = direction == .horizontal ? width : height
        let newEnd = max(1, min(along, Int((Float(cropEnd) * factor).rounded())))
        guard newEnd != cropEnd else { return cropEnd }
        if direction == .horizontal {
            var crop = GreyImage(width: cropEnd, height: height)
            for y in 0..<height { for x in 0..<cropEnd { crop.pixels[y * cropEnd + x] = canvas[y * width + x] } }
            let scaled = crop.resized(width: newEnd, height: height)
            for y in 0..<height { for x in 0..<newEnd { canvas[y * width + x] = scaled.pixels[y * newEnd + x] } }
        } else {
            let crop = GreyImage(width: width, height: cropEnd, pixels: Array(canvas[0..<(cropEnd * width)]))
            let scaled = crop.resized(width: width, height: newEnd)
            for i in 0..<(newEnd * width) { canvas[i] = scaled.pixels[i] }
        }
        return newEnd
    }

    /// Predict's padding: beyond `cropEnd` along the line, every column (row) repeats the last
    /// one of the crop.
    private func repeatEdge(_ canvas: UnsafeMutableBufferPointer<UInt8>, from cropEnd: Int) {
        if direction == .horizontal {
            guard cropEnd < width else { return }
            for y in 0..<height {
                let row = y * width, edge = canvas[row + cropEnd - 1]
                for x in cropEnd..<width { canvas[row + x] = edge }
            }
        } else {
            guard cropEnd < height else { return }
            for y in cropEnd..<height {
                for x in 0..<width { canvas[y * width + x] = canvas[(cropEnd - 1) * width + x] }
            }
        }
    }
}

/// A line's background and text greys: flat, gradient or noisy backgrounds; dark text on light
/// or light on dark, at least `RealisticLine.minimumContrast` apart.
struct LineColours {
    enum Background { case flat, gradient, noisy, original }
    let background: Background
    let base: Int
    let other: Int
    let text: Int

    init(rng: inout RandomSource) {
        let kind = rng.unit()
        background = kind < 0.35 ? .flat : kind < 0.6 ? .gradient : kind < 0.8 ? .noisy : .original
        let darkText = rng.chance(0.6)
        let contrast = rng.int(in: RealisticLine.minimumContrast...230)
        if background == .original {
            // Its backgrounds span 0–100 (inverted to 155–255 under dark text).
            base = darkText ? 255 : 0
            text = darkText ? rng.int(in: 0...90) : rng.int(in: 165...255)
        } else if darkText {
            base = rng.int(in: min(255, contrast + 20)...255)
            text = max(0, base - contrast)
        } else {
            base = rng.int(in: 0...max(0, 235 - contrast))
            text = min(255, base + contrast)
        }
        // The gradient's far end: at most half the contrast towards the text, a little away.
        let toward = darkText ? -contrast / 2 : contrast / 2
        let shift = rng.int(in: min(toward, darkText ? 40 : -40)...max(toward, darkText ? 40 : -40))
        other = max(0, min(255, base + shift))
    }

    func fillBackground(_ pixels: UnsafeMutableBufferPointer<UInt8>, width: Int, height: Int, rng: inout RandomSource) {
        switch background {
        case .flat:
            pixels.update(repeating: UInt8(base))
        case .gradient:
            let horizontal = rng.chance(0.7)
            let span = Float(max(1, (horizontal ? width : height) - 1))
            for y in 0..<height {
                for x in 0..<width {
                    let t = Float(horizontal ? x : y) / span
                    pixels[y * width + x] = UInt8(max(0, min(255, Float(base) + Float(other - base) * t)))
                }
            }
        case .noisy:
            pixels.update(repeating: UInt8(base))
            addNoise(pixels, sigma: rng.float(4, 20), rng: &rng)
        case .original:
            // The original generator's backgrounds, in the line's polarity.
            TextImages.fillBackground(pixels, rng: &rng)
            if base > text { for i in 0..<pixels.count { pixels[i] = 255 - pixels[i] } }
        }
    }
}
