// GreyImage: an 8-bit greyscale raster, row-major, `H`×`W`, 0 = black, 255 = white.
import Foundation

/// An 8-bit greyscale image, row-major (`pixels[y * width + x]`).
///
/// Every decoder in this module produces one (colour, alpha, palette and 16-bit inputs are reduced
/// to 8-bit grey), and the renderer writes into one before conversion to floats in [-1, 1].
public struct GreyImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    /// A `width`×`height` image filled with `value`.
    public init(width: Int, height: Int, value: UInt8 = 255) {
        precondition(width >= 0 && height >= 0, "image size must be non-negative")
        self.width = width
        self.height = height
        self.pixels = [UInt8](repeating: value, count: width * height)
    }

    /// Wraps existing pixels; `pixels.count` must equal `width * height`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height, "pixel count \(pixels.count) != \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public subscript(x: Int, y: Int) -> UInt8 {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }

    /// The pixels scaled to [-1, 1] (`p / 127.5 - 1`), the model's input convention.
    public func normalized() -> [Float] {
        var out = [Float](repeating: 0, count: pixels.count)
        out.withUnsafeMutableBufferPointer { normalize(pixels, into: $0.baseAddress!) }
        return out
    }

    /// The transpose (`W`×`H`): used to show vertical renders side by side in contact sheets.
    public func transposed() -> GreyImage {
        var out = GreyImage(width: height, height: width)
        for y in 0..<height {
            for x in 0..<width { out.pixels[x * height + y] = pixels[y * width + x] }
        }
        return out
    }
}

/// Writes `pixels` scaled to [-1, 1] into `out` (which holds at least `pixels.count` floats).
@inlinable
public func normalize(_ pixels: [UInt8], into out: UnsafeMutablePointer<Float>) {
    pixels.withUnsafeBufferPointer { src in
        for i in 0..<src.count { out[i] = Float(src[i]) * (1 / 127.5) - 1 }
    }
}
