// Synthetic text lines: the worker's training data, rendered from (seed, index) alone.
// Output: `H`×`W` grey (horizontal default 32×512, vertical 512×32), as bytes or as floats in
// [-1, 1]; a batch is `N`×1×`H`×`W` floats.
import Foundation

/// Renders synthetic text lines deterministically: (charset, fonts, preset, direction, size,
/// seed, index) → identical pixels and label on every machine.
///
/// Not thread-safe (FreeType faces and the glyph cache are per instance): give every rendering
/// thread its own source, from `init` or `makeAnother()` (cheap: shares the coverage tables,
/// opens its own faces).
public final class SyntheticSource {
    public let charset: Charset
    public let fonts: FontSet
    public let preset: AugmentationPreset
    public let direction: TextDirection
    public let width: Int
    public let height: Int

    let tables: FaceTables
    let faces: [FontFace]
    let cache = GlyphCache()
    var layout = LayoutScratch()
    // Separate stored properties (not inside `layout`): they are mutated through pointers while
    // `layout` is read, which Swift's exclusivity rules forbid within one property.
    var canvas: [UInt8] = []
    var scratch: [UInt8] = []
    /// `real` only: the text's coverage before it is composited onto the background.
    var mask: [UInt8] = []
    /// `real` only: JPEG artefacts (created on first use).
    var jpeg: JPEGRoundTrip?

    /// - Parameters:
    ///   - width, height: output size; default 512×32 horizontal, 32×512 vertical.
    /// - Throws: `SyntheticSourceError` when the fonts draw no character of the charset or the size
    ///   is too small; `FontListError` when a face cannot be opened.
    public convenience init(charset: Charset, fonts: FontSet, preset: AugmentationPreset = .seed,
                            direction: TextDirection = .horizontal, width: Int? = nil, height: Int? = nil) throws {
        let w = width ?? (direction == .horizontal ? 512 : 32)
        let h = height ?? (direction == .horizontal ? 32 : 512)
        let cross = direction == .horizontal ? h : w, along = direction == .horizontal ? w : h
        guard cross >= 8, along >= cross else {
            throw SyntheticSourceError.badSize(width: w, height: h, direction: direction)
        }
        let tables = FaceTables(charset: charset, fonts: fonts)
        guard tables.drawableClasses > 0 else { throw SyntheticSourceError.nothingDrawable(charset: charset.name) }
        try self.init(charset: charset, fonts: fonts, preset: preset, direction: direction, width: w, height: h, tables: tables)
    }

    init(charset: Charset, fonts: FontSet, preset: AugmentationPreset, direction: TextDirection,
         width: Int, height: Int, tables: FaceTables) throws {
        self.charset = charset
        self.fonts = fonts
        self.preset = preset
        self.direction = direction
        self.width = width
        self.height = height
        self.tables = tables
        self.faces = try fonts.openFaces()
        canvas = [UInt8](repeating: 0, count: width * height)
        scratch = [UInt8](repeating: 0, count: width * height)
        mask = [UInt8](repeating: 0, count: width * height)
    }

    /// A source with the same settings for another thread.
    public func makeAnother() throws -> SyntheticSource {
        try SyntheticSource(charset: charset, fonts: fonts, preset: preset, direction: direction,
                            width: width, height: height, tables: tables)
    }

    /// Characters of the charset that no face draws: never generated. (The space has no ink, so
    /// no face "draws" it, but it is generated: between words.)
    public var undrawableCharacters: [String] {
        (1..<charset.classCount).filter { tables.masks[$0] == 0 && $0 != tables.spaceClass }.map { charset.characters[$0 - 1] }
    }

    /// Sample `index` of the stream `seed`: pixels in [-1, 1] (`H`×`W`) and the label's classes.
    public func render(index: UInt64, seed: UInt64) -> (pixels: [Float], label: [Int32]) {
        var pixels = [Float](repeating: 0, count: width * height)
        let label = pixels.withUnsafeMutableBufferPointer { render(index: index, seed: seed, into: $0.baseAddress!) }
        return (pixels, label)
    }

    /// Renders sample `index` into `out` (`H`×`W` floats in [-1, 1]); returns the label.
    public func render(index: UInt64, seed: UInt64, into out: UnsafeMutablePointer<Float>) -> [Int32] {
        let label = draw(index: index, seed: seed).label
        canvas.withUnsafeBufferPointer { src in
            for i in 0..<src.count { out[i] = Float(src[i]) * (1 / 127.5) - 1 }
        }
        return label
    }

    /// Renders samples `indices` into a preallocated `N`×1×`H`×`W` buffer (`N = indices.count`).
    public func renderBatch(seed: UInt64, indices: Range<UInt64>, into out: UnsafeMutablePointer<Float>) -> [[Int32]] {
        var labels: [[Int32]] = []
        labels.reserveCapacity(indices.count)
        for (n, index) in indices.enumerated() {
            labels.append(render(index: index, seed: seed, into: out + n * width * height))
        }
        return labels
    }

    /// Sample `index` as an 8-bit image (for PNG files and contact sheets) with its label.
    public func renderImage(index: UInt64, seed: UInt64) -> (image: GreyImage, label: [Int32]) {
        let label = draw(index: index, seed: seed).label
        return (GreyImage(width: width, height: height, pixels: canvas), label)
    }

    /// What a render did, for tests and `gen`: the face, size and glyphs placed.
    public struct Details: Sendable {
        public let label: [Int32]
        public let face: FontSpec
        public let pixelSize: Int
        /// Glyphs actually blitted (equals `label.count`).
        public let drawnGlyphs: Int
        /// Characters chosen before layout dropped those that did not fit.
        public let intended: [Int32]
        /// `real` only: the strokes' weight, and the cell width (px) of a monospaced line.
        public internal(set) var weight: StrokeWeight = .regular
        public internal(set) var pitch: Int? = nil
    }

    /// Renders sample `index` into the internal canvas and tells what it drew.
    public func renderDetails(index: UInt64, seed: UInt64) -> (image: GreyImage, details: Details) {
        let details = draw(index: index, seed: seed)
        return (GreyImage(width: width, height: height, pixels: canvas), details)
    }
}

public enum SyntheticSourceError: Error, CustomStringConvertible {
    case nothingDrawable(charset: String)
    case badSize(width: Int, height: Int, direction: TextDirection)

    public var description: String {
        switch self {
        case .nothingDrawable(let name): return "charset \(name): none of its characters is drawn by the fonts"
        case .badSize(let w, let h, let d):
            return "image size \(w)x\(h) does not suit \(d.rawValue) text: the line must be at least 8 px thick and at least as long as thick"
        }
    }
}

/// Per class the bit mask of faces that draw it, and per face the classes it draws.
struct FaceTables: Sendable {
    let masks: [UInt64]
    let classesOfFace: [[Int32]]
    let drawableClasses: Int
    /// The class of the space character, when the charset has one (text is then set as words).
    let spaceClass: Int?
    /// Whether the `real` preset sets part of the lines as words (a charset of Latin letters).
    let wordText: Bool
    /// The mask of every face.
    let allFaces: UInt64

    init(charset: Charset, fonts: FontSet) {
        let masks = fonts.faceMasks(for: charset)
        self.masks = masks
        classesOfFace = (0..<fonts.coverage.count).map { f in
            (1..<charset.classCount).filter { masks[$0] & (1 << UInt64(f)) != 0 }.map { Int32($0) }
        }
        drawableClasses = masks.dropFirst().filter { $0 != 0 }.count
        spaceClass = charset.characters.firstIndex(of: " ").map { $0 + 1 }
        wordText = WordText.applies(to: charset)
        allFaces = fonts.coverage.count == 64 ? .max : (1 << UInt64(fonts.coverage.count)) - 1
    }
}

/// Buffers reused across samples: no allocation per sample beyond the label.
struct LayoutScratch {
    var classes: [Int32] = []
    var glyphs: [Glyph] = []
    var gaps: [Int] = []
}
