// Rendered glyphs, cached per (face, pixel size, character, direction, stroke weight): FreeType
// rendering costs tens of microseconds per glyph, a cached blit a fraction of that.
import CFreeType

/// One anti-aliased glyph bitmap with its placement for both directions (pixels, y down).
struct Glyph {
    var width = 0, rows = 0
    /// Bitmap offset from the horizontal pen position on the baseline.
    var left = 0, top = 0
    var advance = 0
    /// Bitmap offset from the vertical origin (centre of the column, top of the em box).
    var verticalLeft = 0, verticalTop = 0
    var verticalAdvance = 0
    var coverage: [UInt8] = []
}

/// A per-thread cache; cleared whole when it passes `byteLimit` (simple, and a training run's
/// working set settles quickly: the hot set is a few thousand glyphs per size).
final class GlyphCache {
    private var glyphs: [UInt64: Glyph] = [:]
    private var bytes = 0
    let byteLimit: Int

    init(byteLimit: Int = 96 << 20) { self.byteLimit = byteLimit }

    /// The glyph of `scalar` in `face` at `size` px; vertical forms substituted when `vertical`;
    /// its outline made bolder or lighter by `weight` before it is rendered.
    func glyph(face: FontFace, faceNumber: Int, size: Int, scalar: UInt32, vertical: Bool,
               weight: StrokeWeight = .regular) -> Glyph {
        // Scalars use 21 bits; the weight sits above them.
        let key = (vertical ? 1 << 63 : 0) | UInt64(faceNumber) << 48 | UInt64(size) << 32
            | UInt64(weight.rawValue) << 24 | UInt64(scalar)
        if let hit = glyphs[key] { return hit }
        var drawn = scalar
        if vertical, let form = verticalForms[scalar], face.draws(form) { drawn = form }
        let glyph = render(face: face, size: size, scalar: drawn, weight: weight)
        if bytes + glyph.coverage.count + 64 > byteLimit { glyphs.removeAll(keepingCapacity: true); bytes = 0 }
        glyphs[key] = glyph
        bytes += glyph.coverage.count + 64
        return glyph
    }

    private func render(face: FontFace, size: Int, scalar: UInt32, weight: StrokeWeight) -> Glyph {
        // Nothing may load another glyph into the face's slot until the bitmap is copied below.
        face.setPixelSize(size)
        var glyph = Glyph(advance: size, verticalLeft: -size / 2, verticalAdvance: size)
        // No hinting: hinted pixels depend on the FreeType build's interpreter settings (and
        // TrueType glyph programs can keep state between glyphs); unhinted outlines are a pure
        // function of (face, size, glyph), which shard regeneration on other machines needs.
        guard FT_Load_Char(face.handle, FT_ULong(scalar), LoadFlags.noBitmap | LoadFlags.noHinting) == 0,
              let slot = face.handle.pointee.glyph else { return glyph }
        // Emboldening moves every edge of the outline out (or in) by half the strength, in
        // 26.6 pixels; the advance grows with it, as FreeType's own synthetic bold does.
        let strength = weight.strength(size: size)
        if strength != 0 && slot.pointee.format == FT_GLYPH_FORMAT_OUTLINE {
            FT_Outline_Embolden(&slot.pointee.outline, FT_Pos(strength))
            slot.pointee.advance.x += FT_Pos(strength)
        }
        guard FT_Render_Glyph(slot, FT_RENDER_MODE_NORMAL) == 0 else { return glyph }
        let bitmap = slot.pointee.bitmap
        let m = slot.pointee.metrics
        glyph.width = Int(bitmap.width)
        glyph.rows = Int(bitmap.rows)
        glyph.left = Int(slot.pointee.bitmap_left)
        glyph.top = -Int(slot.pointee.bitmap_top)
        glyph.advance = Int((slot.pointee.advance.x + 32) >> 6)
        // Fallback placement without vertical metrics: centre the advance box in the column and
        // put the baseline at the ideographic em box's usual 0.88 em (FreeType's synthesised
        // metrics would centre the ink instead, which moves 。and 、 to the middle of the cell).
        glyph.verticalLeft = -glyph.advance / 2 + glyph.left
        glyph.verticalTop = (size * 88 + 50) / 100 + glyph.top
        // One em per character down the column: CJK vertical text is set on an em grid, and some
        // fonts' vmtx advances are unusable (WenQuanYi Micro Hei stacks glyphs half an em apart).
        glyph.verticalAdvance = size
        if face.hasVerticalMetrics {
            // vmtx/vhea: the ink box relative to the vertical origin; shift by the same amount
            // the bitmap differs from the horizontal ink box. Kept only when it lands in the cell.
            let left = Int((m.vertBearingX + 32) >> 6) + glyph.left - Int((m.horiBearingX + 32) >> 6)
            let top = Int((m.vertBearingY + 32) >> 6) + glyph.top + Int((m.horiBearingY + 32) >> 6)
            if top >= -size / 8 && top + glyph.rows <= size + size / 8 && left >= -size * 5 / 8 && left + glyph.width <= size * 5 / 8 {
                glyph.verticalLeft = left
                glyph.verticalTop = top
            }
        }
        if glyph.width > 0 && glyph.rows > 0, let buffer = bitmap.buffer {
            var coverage = [UInt8](repeating: 0, count: glyph.width * glyph.rows)
            let pitch = Int(bitmap.pitch)
            for y in 0..<glyph.rows {
                for x in 0..<glyph.width { coverage[y * glyph.width + x] = buffer[y * pitch + x] }
            }
            glyph.coverage = coverage
        } else {
            glyph.width = 0; glyph.rows = 0
        }
        return glyph
    }
}

/// A line's stroke weight relative to its face: the outline emboldened (or thinned) by a
/// fraction of the pixel size, as synthetic bold does. Regular faces drawn heavy stand in for the
/// bold and black cuts of faces training never sees; light ones for thin cuts.
public enum StrokeWeight: UInt8, CaseIterable, Sendable {
    case lighter = 0, regular = 1, bolder = 2, heavy = 3

    /// Emboldening strength in 26.6 fixed point at `size` px: −2 %, 0, +4 %, +8 % of the size.
    func strength(size: Int) -> Int {
        let percent: Int
        switch self {
        case .lighter: percent = -2
        case .regular: percent = 0
        case .bolder: percent = 4
        case .heavy: percent = 8
        }
        return (percent * size * 64 + (percent < 0 ? -50 : 50)) / 100
    }
}
