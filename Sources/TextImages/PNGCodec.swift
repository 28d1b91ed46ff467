// PNG through libpng's simplified API (png_image_*): it reports errors through the struct
// instead of longjmp, which Swift cannot unwind safely, and converts every colour type,
// bit depth and interlacing to the format we ask for.
import CPNG
import Foundation

public enum PNGCodec {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    static func hasSignature(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 8 && Array(bytes[0..<8]) == signature
    }

    /// Reads a PNG file as 8-bit grey (alpha composited on white).
    /// - Throws: `ImageError` naming the file.
    public static func read(_ path: String, limits: ImageLimits = ImageFile.limits) throws -> GreyImage {
        let bytes = try ImageFile.readBytes(RawPath(path), limits: limits)
        guard hasSignature(bytes) else { throw ImageError(path: path, reason: .notAnImage) }
        return try decode(bytes, path: path, limits: limits)
    }

    /// Decodes PNG bytes; `path` only names the source in errors.
    /// - Throws: `ImageError.Reason.tooManyPixels` before allocating when the header declares more
    ///   pixels than `limits` allow; `.corrupt` with libpng's message.
    public static func decode(_ bytes: [UInt8], path: String, limits: ImageLimits = ImageFile.limits) throws -> GreyImage {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        let began = bytes.withUnsafeBytes {
            png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count)
        }
        guard began != 0 else { throw ImageError(path: path, reason: .corrupt(message(&image))) }
        let width = Int(image.width), height = Int(image.height)
        // The header's size is the file's claim, not a fact: check it before allocating for it.
        do { try limits.check(width: width, height: height, path: path) } catch {
            png_image_free(&image)
            throw error
        }
        let count = width * height
        // 16-bit files are decoded as 16-bit: libpng's simplified API treats them as linear light
        // and would gamma-encode them on the way to 8 bits, while most real 16-bit files carry
        // sRGB-encoded values; keeping 16 bits and dropping the low byte keeps values as stored.
        let sixteenBit = image.format & png_uint_32(PNG_FORMAT_FLAG_LINEAR) != 0
        let alpha = image.format & png_uint_32(PNG_FORMAT_FLAG_ALPHA) != 0
        switch (sixteenBit, alpha) {
        case (false, false):
            // Straight to grey, no intermediate buffer.
            image.format = png_uint_32(PNG_FORMAT_GRAY)
            var grey = [UInt8](repeating: 0, count: count)
            try finish(&image, into: &grey, rowStride: width, path: path)
            return GreyImage(width: width, height: height, pixels: grey)
        case (false, true):
            // Grey + alpha, so that we composite on white ourselves: libpng's own compositing for
            // alpha-less output would use black. Composited in place (pixel i is written at byte
            // i, after bytes 2i and 2i+1 were read), then the alpha half is dropped.
            image.format = png_uint_32(PNG_FORMAT_GA)
            var ga = [UInt8](repeating: 0, count: count * 2)
            try finish(&image, into: &ga, rowStride: width * 2, path: path)
            for i in 0..<count {
                let g = UInt32(ga[2 * i]), a = UInt32(ga[2 * i + 1])
                ga[i] = UInt8((g * a + 255 * (255 - a) + 127) / 255)
            }
            ga.removeLast(count)
            return GreyImage(width: width, height: height, pixels: ga)
        case (true, false):
            image.format = png_uint_32(PNG_FORMAT_LINEAR_Y)
            var y16 = [UInt16](repeating: 0, count: count)
            try finish(&image, into: &y16, rowStride: width, path: path)
            return GreyImage(width: width, height: height, pixels: y16.map { UInt8((UInt32($0) + 128) / 257) })
        case (true, true):
            image.format = png_uint_32(PNG_FORMAT_LINEAR_Y_ALPHA)
            var ga = [UInt16](repeating: 0, count: count * 2)
            try finish(&image, into: &ga, rowStride: width * 2, path: path)
            var out = GreyImage(width: width, height: height)
            for i in 0..<count {
                // Linear formats are alpha-premultiplied.
                let g = UInt32(ga[2 * i]), a = UInt32(ga[2 * i + 1])
                out.pixels[i] = UInt8((g + (65535 - a) + 128) / 257)
            }
            return out
        }
    }

    private static func finish<T>(_ image: inout png_image, into buffer: inout [T], rowStride: Int, path: String) throws {
        let finished = buffer.withUnsafeMutableBytes {
            png_image_finish_read(&image, nil, $0.baseAddress, png_int_32(rowStride), nil)
        }
        guard finished != 0 else {
            let why = message(&image)
            png_image_free(&image)
            throw ImageError(path: path, reason: .corrupt(why))
        }
    }

    /// Encodes an 8-bit grey PNG.
    public static func encode(_ image: GreyImage) throws -> [UInt8] {
        var png = png_image()
        png.version = png_uint_32(PNG_IMAGE_VERSION)
        png.width = png_uint_32(image.width)
        png.height = png_uint_32(image.height)
        png.format = png_uint_32(PNG_FORMAT_GRAY)
        var size = 0
        // First call measures, second writes (the documented two-pass use of write_to_memory).
        var ok = image.pixels.withUnsafeBytes {
            png_image_write_to_memory(&png, nil, &size, 0, $0.baseAddress, png_int_32(image.width), nil)
        }
        guard ok != 0 else { throw ImageError(path: "<memory>", reason: .writeFailed(message(&png))) }
        var out = [UInt8](repeating: 0, count: size)
        ok = image.pixels.withUnsafeBytes { src in
            out.withUnsafeMutableBytes {
                png_image_write_to_memory(&png, $0.baseAddress, &size, 0, src.baseAddress, png_int_32(image.width), nil)
            }
        }
        guard ok != 0 else { throw ImageError(path: "<memory>", reason: .writeFailed(message(&png))) }
        return Array(out[0..<size])
    }

    /// Writes an 8-bit grey PNG to `path`.
    /// - Throws: `ImageError` naming the file.
    public static func write(_ image: GreyImage, to path: String) throws {
        let bytes: [UInt8]
        do { bytes = try encode(image) } catch let e as ImageError {
            throw ImageError(path: path, reason: e.reason)
        }
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        } catch {
            throw ImageError(path: path, reason: .writeFailed(error.localizedDescription))
        }
    }

    private static func message(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let chars = raw.prefix { $0 != 0 }
            let text = String(decoding: chars, as: UTF8.self)
            return text.isEmpty ? "libpng error" : text
        }
    }
}
