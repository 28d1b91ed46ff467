import Foundation

/// Reads PNG and JPEG files into `GreyImage`, choosing the decoder by the file's signature
/// (not its extension, which users get wrong).
public enum ImageFile {
    /// The limits every read checks, unless given its own: `CRNN_MAX_IMAGE_PIXELS` when set to a
    /// positive integer, else the defaults. A program sets it once, before reading (crnnctl's
    /// `--max-pixels`); decoding threads only read it.
    nonisolated(unsafe) public static var limits: ImageLimits = (try? ImageLimits.fromEnvironment()) ?? ImageLimits()

    /// Reads the image at `path` as 8-bit grey.
    /// - Throws: `ImageError` naming the file: missing, empty, not an image, corrupt or truncated,
    ///   or larger than `limits`.
    public static func read(_ path: String, limits: ImageLimits = ImageFile.limits) throws -> GreyImage {
        try read(RawPath(path), limits: limits)
    }

    /// Reads the image at `path`, a name that need not be UTF-8; errors name it escaped
    /// (`RawPath.escaped`), so that each stays on one line.
    public static func read(_ path: RawPath, limits: ImageLimits = ImageFile.limits) throws -> GreyImage {
        try decode(try readBytes(path, limits: limits), name: path.escaped, limits: limits)
    }

    /// Decodes a PNG or JPEG held in memory (an upload), as `read` decodes a file; `name` names
    /// it in errors.
    public static func decode(_ data: [UInt8], name: String, limits: ImageLimits = ImageFile.limits) throws -> GreyImage {
        if data.isEmpty { throw ImageError(path: name, reason: .empty) }
        if data.count > limits.maxFileBytes {
            throw ImageError(path: name, reason: .fileTooLarge(bytes: data.count, limit: limits.maxFileBytes))
        }
        if PNGCodec.hasSignature(data) { return try PNGCodec.decode(data, path: name, limits: limits) }
        if JPEGCodec.hasSignature(data) { return try JPEGCodec.decode(data, path: name, limits: limits) }
        throw ImageError(path: name, reason: .notAnImage)
    }

    /// The whole file, with the missing, empty and oversized cases told apart. Opened by its bytes
    /// (open(2)), and measured before it is read.
    static func readBytes(_ path: RawPath, limits: ImageLimits = ImageFile.limits) throws -> [UInt8] {
        let name = path.escaped
        let descriptor = path.withCString { open($0, O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw ImageError(path: name, reason: .missing) }
            throw ImageError(path: name, reason: .unreadable(String(cString: strerror(code))))
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw ImageError(path: name, reason: .unreadable(String(cString: strerror(errno))))
        }
        if info.st_mode & S_IFMT == S_IFDIR { throw ImageError(path: name, reason: .unreadable("is a directory")) }
        let size = Int(info.st_size)
        if size > limits.maxFileBytes {
            throw ImageError(path: name, reason: .fileTooLarge(bytes: size, limit: limits.maxFileBytes))
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let got = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + filled, size - filled) }
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw ImageError(path: name, reason: .unreadable(String(cString: strerror(errno)))) }
            if got == 0 { break }  // shrank while we read: decode what is there
            filled += got
        }
        if filled < size { bytes.removeSubrange(filled...) }
        if bytes.isEmpty { throw ImageError(path: name, reason: .empty) }
        return bytes
    }
}
