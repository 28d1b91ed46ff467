import Foundation

/// Reads PNG and JPEG files into `GreyImage`, choosing the decoder by the file's signature
/// (not its extension, which users get wrong).
public enum ImageFile {
    /// Reads the image at `path` as 8-bit grey.
    /// - Throws: `ImageError` naming the file: missing, empty, not an image, corrupt or truncated.
    public static func read(_ path: String) throws -> GreyImage {
        let data = try readBytes(path)
        if PNGCodec.hasSignature(data) { return try PNGCodec.decode(data, path: path) }
        if JPEGCodec.hasSignature(data) { return try JPEGCodec.decode(data, path: path) }
        throw ImageError(path: path, reason: .notAnImage)
    }

    /// The whole file, with the missing and empty cases told apart.
    static func readBytes(_ path: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ImageError(path: path, reason: .missing)
        }
        if isDirectory.boolValue { throw ImageError(path: path, reason: .unreadable("is a directory")) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ImageError(path: path, reason: .unreadable(error.localizedDescription))
        }
        if data.isEmpty { throw ImageError(path: path, reason: .empty) }
        return [UInt8](data)
    }
}
