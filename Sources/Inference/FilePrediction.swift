// Reading image files from disk: listing a folder's images, decoding them (in parallel), and
// recognising them chunk by chunk so that a folder of any size runs in bounded memory and a bad
// file costs only its own line.
import Dispatch
import Engine
import Foundation
import TextImages

/// What became of one image file.
public struct FilePrediction: Sendable {
    public enum Outcome: Sendable, Equatable {
        case reading(Recognizer.Reading)
        /// Why the file could not be read (the `ImageError` message, which names the file).
        case failure(String)
    }

    /// The file as opened (its name need not be UTF-8).
    public let file: RawPath
    public let outcome: Outcome

    /// The file's name as text (U+FFFD for bytes that are not UTF-8; `file.escaped` keeps them).
    public var path: String { file.text }

    public var reading: Recognizer.Reading? {
        if case .reading(let reading) = outcome { return reading }
        return nil
    }
}

/// Why a folder of images cannot be listed.
public enum ImageFolderError: Error, Equatable, CustomStringConvertible {
    case missing(String)
    case notAFolder(String)
    case unreadable(String, reason: String)
    case noImages(String)

    public var description: String {
        switch self {
        case .missing(let path): return "\(path): no such folder"
        case .notAFolder(let path): return "\(path): not a folder"
        case .unreadable(let path, let reason): return "\(path): cannot list the folder: \(reason)"
        case .noImages(let path): return "\(path): no .png, .jpg or .jpeg files in this folder"
        }
    }
}

/// The extensions `imageFiles(in:)` picks, compared case-insensitively.
public let imageFileExtensions: Set<String> = ["png", "jpg", "jpeg"]

/// The image files directly inside `directory` (`*.png`, `*.jpg`, `*.jpeg`, any case), sorted by
/// name, as `directory/name` paths. Names are listed as bytes (readdir), so a name that is not
/// UTF-8 is listed as it is and can be opened.
/// - Throws: `ImageFolderError` when the folder is missing, not a folder, unreadable or has no images.
public func imageFiles(in directory: String) throws -> [RawPath] {
    try imageFiles(in: RawPath(directory))
}

/// `imageFiles(in:)` for a folder whose own name need not be UTF-8.
public func imageFiles(in directory: RawPath) throws -> [RawPath] {
    let shown = directory.escaped
    guard let stream = directory.withCString({ opendir($0) }) else {
        let code = errno
        switch code {
        case ENOENT: throw ImageFolderError.missing(shown)
        case ENOTDIR: throw ImageFolderError.notAFolder(shown)
        default: throw ImageFolderError.unreadable(shown, reason: String(cString: strerror(code)))
        }
    }
    defer { closedir(stream) }
    var images: [RawPath] = []
    while let entry = readdir(stream) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { RawPath(bytes: Array($0)) }
        if isImageName(name.bytes) { images.append(name) }
    }
    guard !images.isEmpty else { throw ImageFolderError.noImages(shown) }
    return images.sorted().map { directory.appending($0) }
}

/// Whether `name` ends in one of `imageFileExtensions` (and is more than that extension).
private func isImageName(_ name: [UInt8]) -> Bool {
    guard let dot = name.lastIndex(of: UInt8(ascii: ".")), dot != 0 else { return false }
    let suffix = String(decoding: name[(dot + 1)...], as: UTF8.self)
    return imageFileExtensions.contains(suffix.lowercased())
}

extension Recognizer {
    /// Reads the image files at `paths`, `chunkSize` files at a time, and hands each chunk's
    /// results to `report` in input order. Files that cannot be decoded get a `.failure` naming
    /// the file and why; the others are still read.
    /// - Parameters:
    ///   - beamWidth: 0 or 1 for greedy decoding, more for prefix beam search.
    ///   - batchSize: images per forward pass.
    ///   - decodingThreads: threads that decode and fit files (PNG/JPEG decoding and resizing of
    ///     large photos dominate otherwise).
    /// - Returns: wall seconds spent recognising (decoding files excluded).
    /// - Throws: `ModelInputError` only if fitting produced an input the model refuses (a bug).
    @discardableResult
    public func readFiles(_ paths: [String], beamWidth: Int = 0, batchSize: Int = 32,
                          chunkSize: Int = 256, decodingThreads: Int = 1,
                          report: ([FilePrediction]) throws -> Void) throws -> Double {
        try Recognizer.readFiles(paths.map(RawPath.init), with: [self], choose: { _ in 0 }, beamWidth: beamWidth, batchSize: batchSize,
                                 chunkSize: chunkSize, decodingThreads: decodingThreads, report: report)
    }

    /// `readFiles` with several recognisers: `choose` picks, per decoded image, the index of the
    /// one that reads it (e.g. by aspect ratio: `Recognizer.likelyDirection`).
    @discardableResult
    public static func readFiles(_ paths: [RawPath], with recognizers: [Recognizer],
                                 choose: @escaping @Sendable (GreyImage) -> Int,
                                 beamWidth: Int = 0, batchSize: Int = 32, chunkSize: Int = 256,
                                 decodingThreads: Int = 1,
                                 report: ([FilePrediction]) throws -> Void) throws -> Double {
        precondition(!recognizers.isEmpty, "readFiles needs a recogniser")
        let chunk = max(1, chunkSize)
        var seconds = 0.0
        for start in stride(from: 0, to: paths.count, by: chunk) {
            let slice = Array(paths[start..<min(start + chunk, paths.count)])
            let decoded = decodeAndFit(slice, recognizers: recognizers, choose: choose, threads: decodingThreads)
            var readings = [Recognizer.Reading?](repeating: nil, count: slice.count)
            let started = DispatchTime.now().uptimeNanoseconds
            // Per recogniser, the positions and images it reads.
            var groups = [[(position: Int, image: GreyImage)]](repeating: [], count: recognizers.count)
            for (i, result) in decoded.enumerated() {
                if case .success(let fitted) = result { groups[fitted.recognizer].append((i, fitted.image)) }
            }
            for (recognizer, group) in zip(recognizers, groups) where !group.isEmpty {
                let read = try recognizer.read(group.map(\.image), beamWidth: beamWidth, batchSize: batchSize)
                for (member, reading) in zip(group, read) { readings[member.position] = reading }
            }
            seconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            let results = zip(slice, decoded).enumerated().map { i, pair -> FilePrediction in
                switch pair.1 {
                case .failure(let failure): return FilePrediction(file: pair.0, outcome: .failure(failure.message))
                case .success: return FilePrediction(file: pair.0, outcome: .reading(readings[i]!))
                }
            }
            try report(results)
        }
        return seconds
    }

    /// The direction a line image most likely runs in: vertical when it is taller than wide.
    /// A single character (about square) counts as horizontal; either model reads it.
    public static func likelyDirection(of image: GreyImage) -> Engine.TextDirection {
        image.height > image.width ? .vertical : .horizontal
    }

    /// Each file decoded to grey, given to a recogniser and fitted to its model (or the error's message).
    private static func decodeAndFit(_ paths: [RawPath], recognizers: [Recognizer], choose: @escaping @Sendable (GreyImage) -> Int,
                                     threads: Int) -> [Result<FittedImage, FileFailure>] {
        let results = UnsafeMutableBufferPointer<Result<FittedImage, FileFailure>>.allocate(capacity: paths.count)
        defer { results.deallocate() }
        let work = { (i: Int) in
            let result: Result<FittedImage, FileFailure>
            do {
                let image = try ImageFile.read(paths[i])
                let r = min(max(0, choose(image)), recognizers.count - 1)
                result = .success(FittedImage(recognizer: r, image: recognizers[r].fit(image)))
            } catch {
                result = .failure(FileFailure(message: "\(error)"))
            }
            (results.baseAddress! + i).initialize(to: result)
        }
        if threads > 1 && paths.count > 1 {
            // Striped over `threads` workers: each decodes every threads-th file.
            let workers = min(threads, paths.count)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                for i in stride(from: w, to: paths.count, by: workers) { work(i) }
            }
        } else {
            for i in paths.indices { work(i) }
        }
        let out = Array(results)
        results.baseAddress!.deinitialize(count: paths.count)
        return out
    }
}

/// A decoded image fitted to the model of recogniser `recognizer`.
private struct FittedImage {
    let recognizer: Int
    let image: GreyImage
}

/// A decoding failure's message, as an `Error` so it can sit in a `Result`.
private struct FileFailure: Error {
    let message: String
}
