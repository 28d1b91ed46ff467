import ArgumentParser
import TextImages

/// `--max-pixels`, shared by predict and eval: the image size limit every file read checks.
struct ImageLimitOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Refuse an image whose header declares more pixels (width × height) than this, before any memory is allocated for it; the file fails alone (default \(ImageLimits.defaultMaxPixels), or $\(ImageLimits.environmentVariable)).",
        valueName: "pixels"))
    var maxPixels: Int?

    func validate() throws {
        if let maxPixels, maxPixels < 1 { throw ValidationError("--max-pixels must be at least 1, got \(maxPixels)") }
        do { _ = try ImageLimits.fromEnvironment() } catch { throw ValidationError("\(error)") }
    }

    /// Makes the limit the one `ImageFile` checks (call before reading any image).
    func apply() throws {
        ImageFile.limits = try maxPixels.map { ImageLimits(maxPixels: $0) } ?? ImageLimits.fromEnvironment()
    }

    /// The limits as `--help` states them.
    static let discussion = """
        Image size limit: an image may declare at most \(ImageLimits.defaultMaxPixels) pixels (--max-pixels \
        or $\(ImageLimits.environmentVariable) to change it) and its file may be at most \
        \(ImageLimits.bytesPerPixel) bytes per allowed pixel; a larger one is reported as too large, \
        unread, and the others are still read. Decoding takes at most about 5 bytes per allowed pixel \
        per thread (--threads).
        """
}
