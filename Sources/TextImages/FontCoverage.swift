// Which code points each face really draws, computed once per font file and cached on disk:
// walking a CJK font's cmap and loading every outline takes about a second per face.
import Foundation

/// The code points one face draws (cmap entry and a non-empty outline), ascending.
public struct FontCoverage: Sendable, Equatable {
    public let spec: FontSpec
    public let scalars: [UInt32]

    public func contains(_ scalar: UInt32) -> Bool {
        var lo = 0, hi = scalars.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if scalars[mid] < scalar { lo = mid + 1 } else { hi = mid }
        }
        return lo < scalars.count && scalars[lo] == scalar
    }
}

/// The on-disk coverage cache: one file per (font path, face index, file size, mtime), under
/// `$CRNN_HOME/cache/font-coverage` or the system temp dir. A changed font gets a new key.
public struct CoverageCache: Sendable {
    public let directory: String
    static let magic = Array("CRNNCOV1".utf8)

    public init(directory: String) { self.directory = directory }

    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> CoverageCache {
        if let home = environment["CRNN_HOME"], !home.isEmpty {
            return CoverageCache(directory: home + "/cache/font-coverage")
        }
        return CoverageCache(directory: NSTemporaryDirectory() + "crnn-font-coverage")
    }

    /// Cached coverage of `spec`, else computed with `library` and stored (best effort: an
    /// unwritable cache only costs the recomputation next time).
    public func coverage(of spec: FontSpec, library: FreeTypeLibrary) throws -> FontCoverage {
        let file = try cacheFile(for: spec)
        if let cached = read(file) { return FontCoverage(spec: spec, scalars: cached) }
        let scalars = try FontFace(library: library, spec: spec).drawnScalars()
        write(scalars, to: file)
        return FontCoverage(spec: spec, scalars: scalars)
    }

    func cacheFile(for spec: FontSpec) throws -> String {
        let attributes = try FileManager.default.attributesOfItem(atPath: spec.path)
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        let mtime = Int64(((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0) * 1000)
        let safe = spec.path.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? String($0) : "_" }.joined()
        return "\(directory)/\(safe)#\(spec.faceIndex)-\(size)-\(mtime).cov"
    }

    private func read(_ file: String) -> [UInt32]? {
        guard let data = FileManager.default.contents(atPath: file), data.count >= 8,
              Array(data.prefix(8)) == Self.magic, (data.count - 8) % 4 == 0 else { return nil }
        return data.dropFirst(8).withUnsafeBytes { raw in
            (0..<((data.count - 8) / 4)).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
        }
    }

    private func write(_ scalars: [UInt32], to file: String) {
        var data = Data(Self.magic)
        scalars.withUnsafeBufferPointer { buffer in
            for s in buffer { withUnsafeBytes(of: s.littleEndian) { data.append(contentsOf: $0) } }
        }
        // Write then rename, so a concurrent reader never sees half a file.
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = file + ".\(ProcessInfo.processInfo.processIdentifier).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else { return }
        if rename(temporary, file) != 0 { try? FileManager.default.removeItem(atPath: temporary) }
    }
}
