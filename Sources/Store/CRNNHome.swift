import Foundation

/// Where the local state of crnn-cluster lives: `$CRNN_HOME`, else `.crnn` in the working directory.
///
/// It holds the private PostgreSQL cluster (`pg/`), daemon logs (`logs/`) and demo output.
public struct CRNNHome: Sendable, Equatable {
    public let path: String

    public init(path: String) {
        self.path = URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// `$CRNN_HOME` when set and non-empty, else `./.crnn`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> CRNNHome {
        if let home = environment["CRNN_HOME"], !home.isEmpty {
            return CRNNHome(path: home)
        }
        return CRNNHome(path: FileManager.default.currentDirectoryPath + "/.crnn")
    }

    public var postgresDirectory: String { path + "/pg" }
    public var logsDirectory: String { path + "/logs" }
}
