// Reading image files from disk: listing a folder's images, decoding them (in parallel), and
// recognising them chunk by chunk so that a folder of any size runs in bounded memory and a bad
// file costs only its own line.
import Dispatch
import Foundation
import TextImages

/// What became of one image file.
public struct FilePrediction: Sendable {
    public enum Outcome: Sendable, Equatable {
        case reading(Recognizer.Reading)
        /// Why the file could not be read (the `ImageError` message, which names the file).
        case failure(String)
    }

    public let path: String
    public let outcome: Outcome

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
/// name, as `directory/name` paths.
/// - Throws: `ImageFolderError` when the folder is missing, not a folder, unreadable or has no images.
public func imageFiles(in directory: String) throws -> [String] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
        throw ImageFolderError.missing(directory)
    }
    guard isDirectory.boolValue else { throw ImageFolderError.notAFolder(directory) }
    let names: [String]
    do {
        names = try FileManager.default.contentsOfDirectory(atPath: directory)
    } catch {
        throw ImageFolderError.unreadable(directory, reason: error.localizedDescription)
    }
    let images = names.filter { name in
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
        return imageFileExtensions.contains(name[name.index(after: dot)...].lowercased())
    }.sorted()
    guard !images.isEmpty else { throw ImageFolderError.noImages(directory) }
    let prefix = directory.hasSuffix("/") ? directory : directory + "/"
    return images.map { prefix + $0 }
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
        let chunk = max(1, chunkSize)
        var seconds = 0.0
        for start in stride(from: 0, to: paths.count, by: chunk) {
            let slice = Array(paths[start..<min(start + chunk, paths.count)])
            let decoded = decodeAndFit(slice, threads: decodingThreads)
            let started = DispatchTime.now().uptimeNanoseconds
            let readings = try read(decoded.compactMap { try? $0.get() }, beamWidth: beamWidth, batchSize: batchSize)
            seconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            // Readings come in the order of the readable files: hand them out in that order.
            var next = readings.makeIterator()
            let results = zip(slice, decoded).map { path, result -> FilePrediction in
                switch result {
                case .failure(let failure): return FilePrediction(path: path, outcome: .failure(failure.message))
                case .success: return FilePrediction(path: path, outcome: .reading(next.next()!))
                }
            }
            try report(results)
        }
        return seconds
    }

    /// Each file decoded to grey and fitted to the model (or the error's message).
    private func decodeAndFit(_ paths: [String], threads: Int) -> [Result<GreyImage, FileFailure>] {
        let results = UnsafeMutableBufferPointer<Result<GreyImage, FileFailure>>.allocate(capacity: paths.count)
        defer { results.deallocate() }
        let work = { (i: Int) in
            let result: Result<GreyImage, FileFailure>
            do {
                result = .success(self.fit(try ImageFile.read(paths[i])))
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

/// A decoding failure's message, as an `Error` so it can sit in a `Result`.
private struct FileFailure: Error {
    let message: String
}
