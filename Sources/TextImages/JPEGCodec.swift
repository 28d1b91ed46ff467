// JPEG through TurboJPEG, decoded straight to 8-bit grey.
import CTurboJPEG
import Foundation

public enum JPEGCodec {
    static func hasSignature(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF
    }

    /// Reads a JPEG file as 8-bit grey.
    /// - Throws: `ImageError` naming the file.
    public static func read(_ path: String, limits: ImageLimits = ImageFile.limits) throws -> GreyImage {
        let bytes = try ImageFile.readBytes(RawPath(path), limits: limits)
        guard hasSignature(bytes) else { throw ImageError(path: path, reason: .notAnImage) }
        return try decode(bytes, path: path, limits: limits)
    }

    /// Decodes JPEG bytes; `path` only names the source in errors.
    /// - Throws: `ImageError.Reason.tooManyPixels` before allocating when the header declares more
    ///   pixels than `limits` allow; `.corrupt` with TurboJPEG's message.
    public static func decode(_ bytes: [UInt8], path: String, limits: ImageLimits = ImageFile.limits) throws -> GreyImage {
        guard let handle = tjInitDecompress() else {
            throw ImageError(path: path, reason: .corrupt("cannot create a TurboJPEG decoder"))
        }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let header = bytes.withUnsafeBufferPointer {
            tjDecompressHeader3(handle, $0.baseAddress, UInt($0.count), &width, &height, &subsampling, &colorspace)
        }
        guard header == 0, width > 0, height > 0 else {
            throw ImageError(path: path, reason: .corrupt(errorText(handle)))
        }
        // The header's size is the file's claim (a 141-byte file can declare 65500×65500): check
        // it before allocating for it.
        try limits.check(width: Int(width), height: Int(height), path: path)
        var out = GreyImage(width: Int(width), height: Int(height))
        let status = bytes.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer {
                tjDecompress2(handle, src.baseAddress, UInt(src.count), $0.baseAddress, width, width,
                              height, Int32(TJPF_GRAY.rawValue), 0)
            }
        }
        // A truncated JPEG decodes with a warning (grey fill for the missing rows); report it as
        // an error: training on half-grey images silently is worse than refusing.
        guard status == 0 else {
            throw ImageError(path: path, reason: .corrupt(errorText(handle)))
        }
        return out
    }

    private static func errorText(_ handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "libjpeg-turbo error" }
        return String(cString: text)
    }
}

/// Compresses a grey image to JPEG at a given quality and decodes it again in place: the block
/// artefacts of a photographed or re-saved line, for the `real` augmentation. Keeps its TurboJPEG
/// handles (one per rendering thread, like the source that owns it).
///
/// The default (integer, "slow") DCT of libjpeg-turbo is exact integer arithmetic on every SIMD
/// path, so the round trip is reproducible across machines as shard regeneration requires.
final class JPEGRoundTrip {
    private let compressor: tjhandle
    private let decompressor: tjhandle

    init?() {
        guard let c = tjInitCompress() else { return nil }
        guard let d = tjInitDecompress() else { tjDestroy(c); return nil }
        compressor = c
        decompressor = d
    }

    deinit {
        tjDestroy(compressor)
        tjDestroy(decompressor)
    }

    /// Replaces `pixels` (`width`×`height` grey) by their JPEG round trip at `quality` (1–100).
    /// Leaves them unchanged when TurboJPEG fails (it does not on valid sizes).
    func apply(_ pixels: UnsafeMutableBufferPointer<UInt8>, width: Int, height: Int, quality: Int) {
        var jpegBuffer: UnsafeMutablePointer<UInt8>?
        var jpegSize: UInt = 0
        let compressed = tjCompress2(compressor, pixels.baseAddress, Int32(width), Int32(width), Int32(height),
                                     Int32(TJPF_GRAY.rawValue), &jpegBuffer, &jpegSize,
                                     Int32(TJSAMP_GRAY.rawValue), Int32(quality), 0)
        defer { if let jpegBuffer { tjFree(jpegBuffer) } }
        guard compressed == 0, let jpegBuffer else { return }
        _ = tjDecompress2(decompressor, jpegBuffer, jpegSize, pixels.baseAddress, Int32(width), Int32(width),
                          Int32(height), Int32(TJPF_GRAY.rawValue), 0)
    }
}
