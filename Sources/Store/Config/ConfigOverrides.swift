import Yams

/// `--set key.path=value` on top of the parsed YAML, before validation, so an override is checked
/// exactly like the file (an unknown key or bad value names the key and says it came from --set).
enum ConfigOverrides {
    static func apply(_ override: String, to root: inout Node, file: String) throws {
        guard let equals = override.firstIndex(of: "="), equals != override.startIndex else {
            throw RunConfigError(.badOverride, file: file, fromOverride: true,
                                 "--set '\(override)' must look like key.path=value (e.g. optimizer.lr=0.001)")
        }
        let keyPath = String(override[..<equals])
        let valueText = String(override[override.index(after: equals)...])
        let keys = keyPath.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !keys.contains(where: \.isEmpty) else {
            throw RunConfigError(.badOverride, file: file, key: keyPath, fromOverride: true, "empty key in --set")
        }
        if let violation = YAMLBounds.violation(in: valueText) {
            throw RunConfigError(.badOverride, file: file, key: keyPath, fromOverride: true, "value refused: \(violation.reason)")
        }
        var value: Node
        do {
            // The value is YAML too, so numbers, booleans and [lists] keep their types.
            value = try Yams.compose(yaml: valueText) ?? Node("")
        } catch let error as YamlError {
            throw RunConfigError(.badOverride, file: file, key: keyPath, fromOverride: true,
                                 "value is not valid YAML: \(problem(of: error))")
        }
        strip(&value)
        try set(&root, keys[...], to: value, path: "", file: file)
    }

    /// Sets `keys` under `node`, creating mappings on the way.
    private static func set(_ node: inout Node, _ keys: ArraySlice<String>, to value: Node, path: String, file: String) throws {
        guard let key = keys.first else { node = value; return }
        let here = path.isEmpty ? key : "\(path).\(key)"
        guard var mapping = node.mapping else {
            throw RunConfigError(.badOverride, file: file, key: here, fromOverride: true,
                                 "\(path.isEmpty ? "the config" : path) is not a mapping, so it has no key \(key)")
        }
        var child = mapping[Node(key)] ?? Node([(Node, Node)]())
        if keys.count > 1 && child.mapping == nil && child.scalar != nil {
            child = Node([(Node, Node)]())
        }
        try set(&child, keys.dropFirst(), to: value, path: here, file: file)
        if mapping[Node(key)] != nil {
            mapping[Node(key)] = child
        } else {
            // Appended keys carry no mark, which is how errors know they came from --set.
            mapping = Node.Mapping(Array(mapping.map { ($0.key, $0.value) }) + [(Node(key), child)], mapping.tag, mapping.style, mapping.mark)
        }
        node = .mapping(mapping)
    }

    /// Drops the marks of an override's value, whose line numbers would point into the --set text.
    private static func strip(_ node: inout Node) {
        // `if`s rather than a switch: Yams 6 adds an alias case that Yams 5 lacks.
        if var scalar = node.scalar {
            scalar.mark = nil
            node = .scalar(scalar)
        } else if let mapping = node.mapping {
            node = .mapping(Node.Mapping(mapping.map { pair -> (Node, Node) in
                var key = pair.key, value = pair.value
                strip(&key); strip(&value)
                return (key, value)
            }, mapping.tag, mapping.style, nil))
        } else if let sequence = node.sequence {
            node = .sequence(Node.Sequence(sequence.map { item -> Node in var item = item; strip(&item); return item },
                                           sequence.tag, sequence.style, nil))
        }
    }

    static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
             .composer(let context, let problem, _, _):
            return [context.map { "\($0.text)" }, problem].compactMap { $0 }.joined(separator: ": ")
        default:
            return "\(error)"
        }
    }
}
