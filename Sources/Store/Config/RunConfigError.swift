/// A config the parser refuses, with where and why: `file:line: key: reason`.
public struct RunConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// The file could not be read.
        case unreadable
        /// The text is not valid YAML.
        case invalidYAML
        /// A key the config does not know (misspelt, or not applicable to this choice).
        case unknownKey
        /// A value of the wrong type (text where a number belongs, a list where a mapping does).
        case wrongType
        /// A value of the right type outside its allowed range or set.
        case invalidValue
        /// An essential key is absent.
        case missingKey
        /// A `--set` argument that is not `key.path=value`.
        case badOverride
    }

    public let kind: Kind
    public let file: String
    /// Dotted key path (`optimizer.lr`), empty for whole-file problems.
    public let key: String
    /// 1-based line in `file`, nil when unknown or when the value came from `--set`.
    public let line: Int?
    public let fromOverride: Bool
    public let reason: String

    public init(_ kind: Kind, file: String, key: String = "", line: Int? = nil, fromOverride: Bool = false, _ reason: String) {
        self.kind = kind
        self.file = file
        self.key = key
        self.line = line
        self.fromOverride = fromOverride
        self.reason = reason
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if fromOverride { location += " (--set)" }
        return key.isEmpty ? "\(location): \(reason)" : "\(location): \(key): \(reason)"
    }
}
