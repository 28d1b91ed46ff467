import Foundation

/// Finds the repository's `data/` folder (charset lists, `fonts.tsv`) at run time.
///
/// Why not SwiftPM resources: their bundle is looked up next to the build products, so an
/// installed or copied binary loses them. Instead: `$CRNN_DATA` when set, else the first `data/`
/// holding `fonts.tsv` found walking up from the working directory, then from the executable
/// (a binary under `.build/` finds its checkout's `data/`). Small presets (`digits`, `ascii`) are
/// embedded in code and need no data folder at all.
public struct DataDirectory: Sendable, Equatable {
    public let path: String

    public init(path: String) { self.path = path }

    /// Locates the data folder as described above.
    /// - Throws: `DataDirectoryError` listing every place searched.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DataDirectory {
        if let explicit = environment["CRNN_DATA"], !explicit.isEmpty {
            guard isDataDirectory(explicit) else {
                throw DataDirectoryError(searched: [explicit], fromEnvironment: true)
            }
            return DataDirectory(path: explicit)
        }
        var searched: [String] = []
        let starts = [FileManager.default.currentDirectoryPath, executableDirectory()].compactMap { $0 }
        for start in starts {
            var dir = URL(fileURLWithPath: start).standardizedFileURL
            while true {
                let candidate = dir.appendingPathComponent("data").path
                if isDataDirectory(candidate) { return DataDirectory(path: candidate) }
                searched.append(candidate)
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        throw DataDirectoryError(searched: searched, fromEnvironment: false)
    }

    public func file(_ relative: String) -> String { path + "/" + relative }

    static func isDataDirectory(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path + "/fonts.tsv")
    }

    private static func executableDirectory() -> String? {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments.first
        return exe.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
    }
}

public struct DataDirectoryError: Error, CustomStringConvertible {
    public let searched: [String]
    public let fromEnvironment: Bool

    public var description: String {
        if fromEnvironment {
            return "CRNN_DATA=\(searched.first ?? "") is not a crnn-cluster data folder (no fonts.tsv in it)"
        }
        return "cannot find crnn-cluster's data/ folder (with fonts.tsv): set CRNN_DATA=/path/to/crnn-cluster/data; searched "
            + searched.prefix(6).joined(separator: ", ") + (searched.count > 6 ? ", ..." : "")
    }
}
