// The drawing of one sample: choose text and face, lay glyphs along the line, blit, augment.
import Foundation

extension SyntheticSource {
    /// Draws sample (seed, index) into `canvas`.
    func draw(index: UInt64, seed: UInt64) -> Details {
        if preset == .real { return drawRealistic(index: index, seed: seed) }
        var rng = RandomSource(seed: seed, index: index)
        let horizontal = direction == .horizontal
        let cross = horizontal ? height : width, along = horizontal ? width : height

        let maxLength = AugmentationPreset.maxLengths[rng.int(AugmentationPreset.maxLengths.count)]
        let length = AugmentationPreset.minLength + rng.int(maxLength - AugmentationPreset.minLength)
        let faceNumber = chooseText(length: length, rng: &rng)
        let face = faces[faceNumber]
        let sizes = preset.sizes
        let size = max(6, sizes[rng.int(sizes.count)] * cross / 32)

        layout.glyphs.removeAll(keepingCapacity: true)
        layout.gaps.removeAll(keepingCapacity: true)
        var total = 0
        for c in layout.classes {
            let scalar = charset.scalar(ofClass: Int(c))!.value
            let glyph = cache.glyph(face: face, faceNumber: faceNumber, size: size, scalar: scalar, vertical: !horizontal)
            let gap = preset == .rich ? rng.int(in: -size / 20...size / 4) : 0
            layout.glyphs.append(glyph)
            layout.gaps.append(gap)
            total += (horizontal ? glyph.advance : glyph.verticalAdvance) + gap
        }

        let intended = layout.classes
        let textLevel = textGrey(rng: &rng)
        var drawn = 0
        self.canvas.withUnsafeMutableBufferPointer { canvas in
            fillBackground(canvas, rng: &rng)
            var position = rng.int(max(along - total, 1))
            for (glyph, gap) in zip(layout.glyphs, layout.gaps) {
                let advance = horizontal ? glyph.advance : glyph.verticalAdvance
                // A character that does not fit ends the line, and leaves the label too.
                if position + advance > along { break }
                let jitter = rng.int(max(cross - size, 1))
                if horizontal {
                    let baseline = jitter + (size * 88 + 50) / 100
                    blit(glyph, x: position + glyph.left, y: baseline + glyph.top, level: textLevel, into: canvas)
                } else {
                    let centre = jitter + size / 2
                    blit(glyph, x: centre + glyph.verticalLeft, y: position + glyph.verticalTop, level: textLevel, into: canvas)
                }
                drawn += 1
                position += advance + gap
            }
            self.scratch.withUnsafeMutableBufferPointer { scratch in
                if preset == .rich { enrich(canvas, scratch: scratch, rng: &rng) }
            }
            if rng.chance(0.5) {
                for i in 0..<canvas.count { canvas[i] = 255 - canvas[i] }
            }
        }
        let label = visibleLabel(intended.prefix(drawn))
        return Details(label: label, face: faces[faceNumber].spec, pixelSize: size, drawnGlyphs: drawn, intended: intended)
    }

    /// Chooses `length` classes uniformly, keeping only characters that some common face draws,
    /// into `layout.classes`; returns the face, uniform among those that draw them all.
    ///
    /// A charset with a space sets words: the space is never drawn as a character but breaks the
    /// text between two others (about one position in 5.5, never first, last or twice in a row),
    /// so that a label never holds a space the image cannot show.
    func chooseText(length: Int, rng: inout RandomSource) -> Int {
        layout.classes.removeAll(keepingCapacity: true)
        let classes = charset.classCount - 1
        var common = tables.allFaces
        let space = tables.spaceClass
        for _ in 0..<length {
            var c = 1 + rng.int(classes)
            var tries = 0
            // Rejection keeps classes uniform; rare characters (drawn by 2 faces) can conflict
            // with the faces left, so after a few tries take one the first common face draws.
            while (tables.masks[c] & common == 0 || c == space) && tries < 16 {
                c = 1 + rng.int(classes)
                tries += 1
            }
            if tables.masks[c] & common == 0 {
                let pool = tables.classesOfFace[common.trailingZeroBitCount]
                c = Int(pool[rng.int(pool.count)])
            }
            common &= tables.masks[c]
            layout.classes.append(Int32(c))
        }
        if let space, length >= 3 {
            for i in 1..<(length - 1) where layout.classes[i - 1] != Int32(space) && rng.chance(0.18) {
                layout.classes[i] = Int32(space)
            }
        }
        return pickFace(among: common, rng: &rng)
    }

    /// A face uniform among those of the (non-empty) mask `common`.
    func pickFace(among common: UInt64, rng: inout RandomSource) -> Int {
        var pick = rng.int(common.nonzeroBitCount)
        var mask = common
        while pick > 0 { mask &= mask - 1; pick -= 1 }
        return mask.trailingZeroBitCount
    }

    /// The label of the characters drawn: a line cut after a space ends with the word before it
    /// (a trailing space leaves no trace in the image).
    func visibleLabel(_ drawn: ArraySlice<Int32>) -> [Int32] {
        guard let space = tables.spaceClass.map(Int32.init) else { return Array(drawn) }
        var label = Array(drawn)
        while label.last == space { label.removeLast() }
        return label
    }

    /// `rich`: warp, blur and noise, each with its own probability.
    private func enrich(_ canvas: UnsafeMutableBufferPointer<UInt8>, scratch: UnsafeMutableBufferPointer<UInt8>,
                        rng: inout RandomSource) {
        if rng.chance(0.5) {
            // At most ±0.6°: a 512-px line's ends then move under 3 px, so the jittered
            // characters near the edges stay (mostly) inside a 32-px line.
            let angle = rng.float(-0.6, 0.6) * Float.pi / 180
            let shear = rng.float(-0.25, 0.25)
            warp(canvas, scratch: scratch, width: width, height: height, angle: angle, shear: shear,
                 vertical: direction == .vertical)
        }
        if rng.chance(0.3) { blur(canvas, scratch: scratch, width: width, height: height, passes: rng.chance(0.3) ? 2 : 1) }
        if rng.chance(0.4) { addNoise(canvas, sigma: rng.float(2, 12), rng: &rng) }
    }

    /// Alpha-blends `glyph` at (x, y) (top-left of its bitmap) in grey `level`, clipped.
    func blit(_ glyph: Glyph, x: Int, y: Int, level: Int, into canvas: UnsafeMutableBufferPointer<UInt8>) {
        forEachCoveredPixel(of: glyph, x: x, y: y) { a, i in
            let p = Int(canvas[i])
            canvas[i] = UInt8(p + ((level - p) * Int(a) + 127) / 255)
        }
    }

    /// Calls `body(coverage, index)` for every pixel of `glyph` placed at (x, y) (top-left of its
    /// bitmap) that lies on the canvas and has coverage; `index` is the canvas offset.
    @inline(__always)
    func forEachCoveredPixel(of glyph: Glyph, x: Int, y: Int, _ body: (UInt8, Int) -> Void) {
        let x0 = max(0, x), x1 = min(width, x + glyph.width)
        let y0 = max(0, y), y1 = min(height, y + glyph.rows)
        guard x0 < x1 && y0 < y1 else { return }
        glyph.coverage.withUnsafeBufferPointer { coverage in
            for row in y0..<y1 {
                let src = (row - y) * glyph.width - x, dst = row * width
                for col in x0..<x1 where coverage[src + col] != 0 { body(coverage[src + col], dst + col) }
            }
        }
    }
}
