import Foundation

/// Why an image file could not be read or written. Every case names the file.
public struct ImageError: Error, Equatable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        case missing
        case empty
        case unreadable(String)
        /// Neither a PNG nor a JPEG signature.
        case notAnImage
        /// A PNG or JPEG whose decoder failed (truncated, corrupt); the decoder's message.
        case corrupt(String)
        case writeFailed(String)
        /// The header declares more pixels than `ImageLimits.maxPixels`; nothing was decoded.
        case tooManyPixels(width: Int, height: Int, limit: Int)
        /// The file is larger than `ImageLimits.maxFileBytes`; it was not read.
        case fileTooLarge(bytes: Int, limit: Int)
    }

    public let path: String
    public let reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .missing: return "\(path): no such file"
        case .empty: return "\(path): empty file (0 bytes), not an image"
        case .unreadable(let why): return "\(path): cannot read: \(why)"
        case .notAnImage: return "\(path): not a PNG or JPEG image (unrecognised signature)"
        case .corrupt(let why): return "\(path): corrupt or truncated image: \(why)"
        case .writeFailed(let why): return "\(path): cannot write image: \(why)"
        case let .tooManyPixels(width, height, limit):
            let pixels = width.multipliedReportingOverflow(by: height)
            let count = pixels.overflow ? "more than \(Int.max)" : "\(pixels.partialValue)"
            return "\(path): image too large: its header declares \(width)×\(height) pixels (\(count)), "
                + "more than the limit of \(limit) pixels (\(ImageLimits.howToRaise))"
        case let .fileTooLarge(bytes, limit):
            return "\(path): file too large for an image: \(bytes) bytes, more than the limit of \(limit) bytes "
                + "(\(ImageLimits.bytesPerPixel) per allowed pixel; \(ImageLimits.howToRaise))"
        }
    }
}
