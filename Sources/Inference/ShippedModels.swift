// The models that ship with crnn-cluster: `models/NAME.crnn`, each with a card `models/NAME.md`.
import Foundation
import TextImages

/// Finds shipped models by name (`crnnctl predict --model gb2312-vertical`).
public enum ShippedModels {
    /// Why a model name cannot be used.
    public struct LookupError: Error, CustomStringConvertible {
        public let name: String
        public let directory: String?
        public let available: [String]
        public var description: String {
            guard let directory else {
                return "model \(name): no models folder found (set CRNN_MODELS or run from a checkout)"
            }
            let list = available.isEmpty ? "none" : available.joined(separator: ", ")
            return "model \(name): no \(name).crnn in \(directory) (available: \(list))"
        }
    }

    /// `$CRNN_MODELS`, else `models/` beside the data folder (the checkout's `models/`).
    public static func directory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let explicit = environment["CRNN_MODELS"], !explicit.isEmpty { return explicit }
        guard let data = try? DataDirectory.locate(environment: environment) else { return nil }
        return URL(fileURLWithPath: data.path).deletingLastPathComponent().appendingPathComponent("models").path
    }

    /// The names of the models in `directory` (files `*.crnn`), sorted.
    public static func names(in directory: String) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".crnn") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// The checkpoint file of model `name`.
    /// - Throws: `LookupError` listing the models that exist.
    public static func path(of name: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        guard let directory = directory(environment: environment) else {
            throw LookupError(name: name, directory: nil, available: [])
        }
        let file = directory + "/" + name + ".crnn"
        // A name is a file name, never a path: `--model ../x` must not leave the folder.
        guard !name.isEmpty, !name.contains("/"), FileManager.default.fileExists(atPath: file) else {
            throw LookupError(name: name, directory: directory, available: names(in: directory))
        }
        return file
    }
}
