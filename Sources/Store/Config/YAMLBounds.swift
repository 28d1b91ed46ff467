// Bounds on a YAML text, checked before Yams composes it. Yams builds nodes recursively, so a
// few thousand levels of `[[[[` or of indented keys overflow the stack; and it shares an alias's
// node instead of copying it, so a "billion laughs" document composes small and explodes in
// whatever walks it (the `--set` handling copies values node by node). libyaml's event parser,
// the one Yams itself runs on (its CYaml module), is iterative: one pass over its events measures
// depth, nodes and alias expansion without building anything.
import CYaml

/// The limits on a config's YAML (the file, and each `--set` value).
enum YAMLBounds {
    /// 1 MiB: a run config is a few hundred bytes (charsets and datasets live in their own files).
    static let maxBytes = 1 << 20
    /// Nesting of mappings and lists; a run config uses three.
    static let maxDepth = 64
    /// Nodes with every alias counted as a copy of what it names.
    static let maxNodes = 100_000

    /// What is wrong with a text, and the 1-based line where it became so.
    enum Violation: Equatable {
        case tooLarge(bytes: Int)
        case tooDeep(line: Int)
        case tooManyNodes(line: Int)

        var line: Int? {
            switch self {
            case .tooLarge: return nil
            case .tooDeep(let line), .tooManyNodes(let line): return line
            }
        }

        var reason: String {
            switch self {
            case .tooLarge(let bytes): return "the YAML is \(bytes) bytes, more than the limit of \(YAMLBounds.maxBytes)"
            case .tooDeep: return "the YAML nests mappings and lists more than \(YAMLBounds.maxDepth) levels deep"
            case .tooManyNodes:
                return "the YAML holds more than \(YAMLBounds.maxNodes) values (each alias counted as a copy of what it names)"
            }
        }
    }

    /// The first limit `text` exceeds, nil when it keeps them all. Syntax errors are left to
    /// Yams, which reports them with its own message.
    static func violation(in text: String) -> Violation? {
        let bytes = Array(text.utf8)
        guard bytes.count <= maxBytes else { return .tooLarge(bytes: bytes.count) }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        return bytes.withUnsafeBufferPointer { buffer -> Violation? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var open: [(start: Int, anchor: String?)] = []
            var anchored: [String: Int] = [:]
            var nodes = 0
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                let line = Int(event.start_mark.line) + 1
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return nil
                case YAML_SCALAR_EVENT:
                    nodes += 1
                    if let anchor = name(event.data.scalar.anchor) { anchored[anchor] = 1 }
                case YAML_ALIAS_EVENT:
                    // An undefined alias counts one; Yams refuses it.
                    nodes += name(event.data.alias.anchor).flatMap { anchored[$0] } ?? 1
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    nodes += 1
                    let anchor = event.type == YAML_SEQUENCE_START_EVENT
                        ? name(event.data.sequence_start.anchor) : name(event.data.mapping_start.anchor)
                    open.append((nodes, anchor))
                    if open.count > maxDepth { return .tooDeep(line: line) }
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    if let (start, anchor) = open.popLast(), let anchor { anchored[anchor] = nodes - start + 1 }
                default:
                    break
                }
                if nodes > maxNodes { return .tooManyNodes(line: line) }
            }
        }
    }

    private static func name(_ anchor: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        anchor.map { String(cString: $0) }
    }
}
