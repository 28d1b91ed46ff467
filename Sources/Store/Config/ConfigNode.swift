import Yams

/// A cursor over one YAML node that knows its dotted key path and line, and turns every
/// mismatch into a `RunConfigError` naming both.
///
/// Mappings remember which keys were read, so `finish()` can report the first unknown key with
/// its own line: misspellings are errors, never silently ignored.
struct ConfigNode {
    let node: Node
    let path: String
    let file: String

    /// The 1-based line, nil for values injected by `--set` (they carry no mark).
    var line: Int? { node.mark?.line }

    func error(_ kind: RunConfigError.Kind, _ reason: String) -> RunConfigError {
        RunConfigError(kind, file: file, key: path, line: line, fromOverride: node.mark == nil, reason)
    }

    /// What a value looks like in an error message.
    var shown: String {
        // `if`s rather than a switch: Yams 6 adds an alias case that Yams 5 lacks.
        if let scalar = node.scalar { return "'\(scalar.string)'" }
        if node.mapping != nil { return "a mapping" }
        if node.sequence != nil { return "a list" }
        return "an alias"
    }

    // MARK: scalars

    func string() throws -> String {
        guard case .scalar(let scalar) = node else { throw error(.wrongType, "expected text, got \(shown)") }
        return scalar.string
    }

    func int(in range: ClosedRange<Int>) throws -> Int {
        guard case .scalar(let scalar) = node,
              let value = Int(scalar.string.replacingOccurrences(of: "_", with: "")) else {
            throw error(.wrongType, "expected an integer, got \(shown)")
        }
        guard range.contains(value) else {
            throw error(.invalidValue, "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    func int64() throws -> Int64 {
        guard case .scalar(let scalar) = node,
              let value = Int64(scalar.string.replacingOccurrences(of: "_", with: "")) else {
            throw error(.wrongType, "expected an integer, got \(shown)")
        }
        return value
    }

    /// A finite number in `range`; `open` excludes the lower bound (learning rates must be > 0).
    func double(in range: ClosedRange<Double>, lowerOpen: Bool = false, upperOpen: Bool = false) throws -> Double {
        guard case .scalar(let scalar) = node,
              let value = Double(scalar.string.replacingOccurrences(of: "_", with: "")), value.isFinite else {
            throw error(.wrongType, "expected a number, got \(shown)")
        }
        let aboveLower = lowerOpen ? value > range.lowerBound : value >= range.lowerBound
        let belowUpper = upperOpen ? value < range.upperBound : value <= range.upperBound
        guard aboveLower && belowUpper else {
            let low = lowerOpen ? "(" : "["
            let high = upperOpen ? ")" : "]"
            throw error(.invalidValue, "must be in \(low)\(range.lowerBound), \(range.upperBound)\(high), got \(value)")
        }
        return value
    }

    func bool() throws -> Bool {
        guard case .scalar(let scalar) = node, let value = ConfigNode.boolean(scalar.string) else {
            throw error(.wrongType, "expected true or false, got \(shown)")
        }
        return value
    }

    static func boolean(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: return nil
        }
    }

    /// One of a fixed set of names (an enum's raw values).
    func choice<E: RawRepresentable & CaseIterable>(_ type: E.Type) throws -> E where E.RawValue == String {
        let text = try string()
        guard let value = E(rawValue: text) else {
            let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
            throw error(.invalidValue, "must be one of \(allowed), got '\(text)'")
        }
        return value
    }

    func list() throws -> [ConfigNode] {
        guard case .sequence(let sequence) = node else { throw error(.wrongType, "expected a list, got \(shown)") }
        return sequence.enumerated().map { ConfigNode(node: $1, path: "\(path)[\($0)]", file: file) }
    }

    var isMapping: Bool { if case .mapping = node { return true } else { return false } }
}

/// The keys of one YAML mapping, read one by one; `finish()` rejects those never read.
struct ConfigMapping {
    let owner: ConfigNode
    private var entries: [(key: String, node: ConfigNode, line: Int?)] = []
    /// Each key's position in `entries`: lookups and the duplicate check stay linear in the
    /// mapping's size (a list search made 80,000 keys take 11 s).
    private var positions: [String: Int] = [:]
    private var read: Set<String> = []

    init(_ owner: ConfigNode) throws {
        guard case .mapping(let mapping) = owner.node else {
            throw owner.error(.wrongType, "expected a mapping of keys, got \(owner.shown)")
        }
        self.owner = owner
        for (key, value) in mapping {
            let keyNode = ConfigNode(node: key, path: owner.path, file: owner.file)
            let name = try keyNode.string()
            let path = owner.path.isEmpty ? name : "\(owner.path).\(name)"
            guard positions.updateValue(entries.count, forKey: name) == nil else {
                throw RunConfigError(.invalidValue, file: owner.file, key: path, line: key.mark?.line,
                                     fromOverride: key.mark == nil, "appears twice")
            }
            entries.append((name, ConfigNode(node: value, path: path, file: owner.file), key.mark?.line))
        }
    }

    /// The value under `key`, or nil when absent (or explicitly null).
    mutating func optional(_ key: String) -> ConfigNode? {
        read.insert(key)
        guard let entry = positions[key].map({ entries[$0] }) else { return nil }
        if case .scalar(let scalar) = entry.node.node, scalar.string == "null" || scalar.string == "~",
           scalar.style == .plain { return nil }
        return entry.node
    }

    /// The value under `key`; its absence is an error naming the key.
    mutating func required(_ key: String, hint: String) throws -> ConfigNode {
        guard let node = optional(key) else {
            let path = owner.path.isEmpty ? key : "\(owner.path).\(key)"
            throw RunConfigError(.missingKey, file: owner.file, key: path, line: owner.line, "is required (\(hint))")
        }
        return node
    }

    func has(_ key: String) -> Bool { positions[key] != nil }

    /// Throws for the first key that was never asked for, with its line and the keys allowed here.
    func finish() throws {
        guard let unknown = entries.first(where: { !read.contains($0.key) }) else { return }
        let allowed = read.sorted().joined(separator: ", ")
        throw RunConfigError(.unknownKey, file: owner.file, key: unknown.node.path, line: unknown.line,
                             fromOverride: unknown.line == nil, "unknown key (allowed here: \(allowed))")
    }

    /// Rejects `key` when present: it does not apply to the choice made elsewhere.
    func reject(_ key: String, because reason: String) throws {
        guard let entry = positions[key].map({ entries[$0] }) else { return }
        throw RunConfigError(.unknownKey, file: owner.file, key: entry.node.path, line: entry.line,
                             fromOverride: entry.line == nil, reason)
    }
}
