// Thin ownership wrappers over FT_Library and FT_Face. Neither is thread-safe: every rendering
// thread opens its own library and faces (FontSet.openFaces).
import CFreeType
import Foundation

/// FreeType load flags (the C macros are not all importable).
enum LoadFlags {
    static let noScale: Int32 = 1 << 0
    static let noHinting: Int32 = 1 << 1
    static let render: Int32 = 1 << 2
    static let noBitmap: Int32 = 1 << 3
}

/// An `FT_Library`, released on deinit.
public final class FreeTypeLibrary {
    let handle: FT_Library

    public init() {
        var library: FT_Library?
        // FT_Init_FreeType fails only when out of memory: a programmer-level failure.
        precondition(FT_Init_FreeType(&library) == 0 && library != nil, "FT_Init_FreeType failed")
        handle = library!
    }

    deinit { FT_Done_FreeType(handle) }

    /// The number of faces in a font file (a `.ttc` holds several).
    func faceCount(of spec: FontSpec) throws -> Int {
        var face: FT_Face?
        let error = FT_New_Face(handle, spec.path, -1, &face)
        guard error == 0, let face else { throw FontListError.cannotOpen(spec, freetypeError: error) }
        defer { FT_Done_Face(face) }
        return Int(face.pointee.num_faces)
    }
}

/// One opened face. Keeps its library alive.
public final class FontFace {
    let library: FreeTypeLibrary
    let handle: FT_Face
    public let spec: FontSpec
    private var currentPixelSize = 0

    public init(library: FreeTypeLibrary, spec: FontSpec) throws {
        var face: FT_Face?
        let error = FT_New_Face(library.handle, spec.path, FT_Long(spec.faceIndex), &face)
        guard error == 0, let face else { throw FontListError.cannotOpen(spec, freetypeError: error) }
        self.library = library
        self.handle = face
        self.spec = spec
        self.hasVerticalMetrics = Self.usableVerticalMetrics(face)
    }

    deinit { FT_Done_Face(handle) }

    public var familyName: String { handle.pointee.family_name.map { String(cString: $0) } ?? "" }
    public var styleName: String { handle.pointee.style_name.map { String(cString: $0) } ?? "" }

    /// Whether the face has usable vertical metrics (vhea/vmtx); else FreeType would synthesise
    /// them. Checked on 中 (or the first mapped character): WenQuanYi Zen Hei declares vertical
    /// metrics whose advances are far from one em, which would stack glyphs on top of each other.
    ///
    /// Computed once at init: it loads a glyph into the face's one glyph slot, which must not
    /// happen between loading a glyph and copying its bitmap.
    public let hasVerticalMetrics: Bool

    private static func usableVerticalMetrics(_ handle: FT_Face) -> Bool {
        guard handle.pointee.face_flags & FT_Long(1 << 5) != 0 else { return false }
        var glyph = FT_Get_Char_Index(handle, 0x4E2D)
        if glyph == 0 { _ = FT_Get_First_Char(handle, &glyph) }
        guard glyph != 0, FT_Load_Glyph(handle, glyph, LoadFlags.noScale | LoadFlags.noBitmap) == 0,
              let slot = handle.pointee.glyph else { return false }
        let advance = Double(slot.pointee.metrics.vertAdvance), em = Double(handle.pointee.units_per_EM)
        return advance >= 0.8 * em && advance <= 1.5 * em
    }

    /// Whether `scalar` has a cmap entry and a non-empty outline (ignoring bitmap strikes).
    public func draws(_ scalar: UInt32) -> Bool {
        let glyph = FT_Get_Char_Index(handle, FT_ULong(scalar))
        return glyph != 0 && hasInk(glyph: glyph)
    }

    /// Every code point the face really draws, ascending (cmap walk + outline check).
    public func drawnScalars() -> [UInt32] {
        var out: [UInt32] = []
        var glyph: FT_UInt = 0
        var code = FT_Get_First_Char(handle, &glyph)
        while glyph != 0 {
            if hasInk(glyph: glyph) { out.append(UInt32(code)) }
            code = FT_Get_Next_Char(handle, code, &glyph)
        }
        return out
    }

    private func hasInk(glyph: FT_UInt) -> Bool {
        // Unscaled and unhinted: the fastest way to get the outline; bitmaps ignored because
        // UMing and Zen Hei carry 1-bit strikes that would not be drawn anti-aliased.
        guard FT_Load_Glyph(handle, glyph, LoadFlags.noScale | LoadFlags.noHinting | LoadFlags.noBitmap) == 0,
              let slot = handle.pointee.glyph,
              slot.pointee.format == FT_GLYPH_FORMAT_OUTLINE else { return false }
        return slot.pointee.outline.n_contours > 0 && slot.pointee.outline.n_points > 0
    }

    func setPixelSize(_ size: Int) {
        if size != currentPixelSize {
            FT_Set_Pixel_Sizes(handle, 0, FT_UInt(size))
            currentPixelSize = size
        }
    }
}
