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
        }
    }
}
