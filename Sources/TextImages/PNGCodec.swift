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
    public static func read(_ path: String) throws -> GreyImage {
        let bytes = try ImageFile.readBytes(path)
        guard hasSignature(bytes) else { throw ImageError(path: path, reason: .notAnImage) }
        return try decode(bytes, path: path)
    }

    /// Decodes PNG bytes; `path` only names the source in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws -> GreyImage {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        let began = bytes.withUnsafeBytes {
            png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count)
        }
        guard began != 0 else { throw ImageError(path: path, reason: .corrupt(message(&image))) }
        // 16-bit files are decoded as 16-bit: libpng's simplified API treats them as linear light
        // and would gamma-encode them on the way to 8 bits, while most real 16-bit files carry
        // sRGB-encoded values; keeping 16 bits and dropping the low byte keeps values as stored.
        let sixteenBit = image.format & png_uint_32(PNG_FORMAT_FLAG_LINEAR) != 0
        let width = Int(image.width), height = Int(image.height)
        var out = GreyImage(width: width, height: height)
        // Grey + alpha, so that we composite on white ourselves: libpng's own compositing for
        // alpha-less output would use black.
        if sixteenBit {
            image.format = png_uint_32(PNG_FORMAT_LINEAR_Y_ALPHA)
            var ga = [UInt16](repeating: 0, count: width * height * 2)
            try finish(&image, into: &ga, rowStride: width * 2, path: path)
            for i in 0..<(width * height) {
                // Linear formats are alpha-premultiplied.
                let g = UInt32(ga[2 * i]), a = UInt32(ga[2 * i + 1])
                out.pixels[i] = UInt8((g + (65535 - a) + 128) / 257)
            }
        } else {
            image.format = png_uint_32(PNG_FORMAT_GA)
            var ga = [UInt8](repeating: 0, count: width * height * 2)
            try finish(&image, into: &ga, rowStride: width * 2, path: path)
            for i in 0..<(width * height) {
                let g = UInt32(ga[2 * i]), a = UInt32(ga[2 * i + 1])
                out.pixels[i] = UInt8((g * a + 255 * (255 - a) + 127) / 255)
            }
        }
        return out
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
