import Foundation

/// How large an image file may be before anything the size of its pixels is allocated.
///
/// A PNG or JPEG header states the image's width and height, and decoding allocates for them
/// before reading a single pixel: a 65 KB PNG declaring 100000×100000 would ask for 10 GB. The
/// decoders compare the declared size with these limits first and refuse the file alone.
///
/// Memory per image being decoded stays under about 5 bytes per allowed pixel (a 16-bit PNG with
/// alpha; 1–3 bytes for the common kinds), so 250 MB at the default, per decoding thread.
public struct ImageLimits: Sendable, Equatable {
    /// 50 megapixels: an A4 page scanned at 600 dpi is 35.
    public static let defaultMaxPixels = 50_000_000
    /// Overrides the default for every program that reads images (a positive integer).
    public static let environmentVariable = "CRNN_MAX_IMAGE_PIXELS"
    /// The file-size limit per allowed pixel: no PNG or JPEG of an allowed size needs more
    /// (uncompressed 16-bit grey with alpha is 4 bytes a pixel, plus chunks and headers).
    public static let bytesPerPixel = 8
    /// Where a message tells the user to look.
    static let howToRaise = "raise it with --max-pixels or \(environmentVariable)"

    /// Most pixels (width × height) an image may declare.
    public var maxPixels: Int

    /// - Precondition: `maxPixels >= 1`.
    public init(maxPixels: Int = ImageLimits.defaultMaxPixels) {
        precondition(maxPixels >= 1, "ImageLimits: maxPixels must be at least 1")
        self.maxPixels = maxPixels
    }

    /// Largest file read (`bytesPerPixel` per allowed pixel, at least 1 MiB).
    public var maxFileBytes: Int {
        let bytes = maxPixels.multipliedReportingOverflow(by: Self.bytesPerPixel)
        return bytes.overflow ? .max : max(bytes.partialValue, 1 << 20)
    }

    /// The limits of `CRNN_MAX_IMAGE_PIXELS` when it is set, else the defaults.
    /// - Throws: `ImageLimitsError` when the variable is set but not a positive integer.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ImageLimits {
        guard let text = environment[environmentVariable] else { return ImageLimits() }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= 1 else {
            throw ImageLimitsError(variable: environmentVariable, value: text)
        }
        return ImageLimits(maxPixels: value)
    }

    /// Throws unless a `width`×`height` image is within the limits.
    func check(width: Int, height: Int, path: String) throws {
        let pixels = width.multipliedReportingOverflow(by: height)
        guard !pixels.overflow, pixels.partialValue <= maxPixels else {
            throw ImageError(path: path, reason: .tooManyPixels(width: width, height: height, limit: maxPixels))
        }
    }
}

/// `CRNN_MAX_IMAGE_PIXELS` set to something other than a positive integer.
public struct ImageLimitsError: Error, CustomStringConvertible {
    public let variable: String
    public let value: String
    public var description: String { "\(variable) must be a positive number of pixels, got '\(value)'" }
}
