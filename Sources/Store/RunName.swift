/// What may name a run: the name is shown in tables, logs and pages, so it is one line of text of
/// a bounded length. (A NUL reached PostgreSQL as a raw protocol error; a 50 MB name was stored.)
public enum RunName {
    /// Characters (Unicode scalars) a name may have.
    public static let maxLength = 200

    /// Why `name` cannot name a run, nil when it can.
    public static func problem(_ name: String) -> String? {
        // Bytes first, so that an enormous name is refused without walking it.
        let scalars = name.utf8.count <= 4 * maxLength ? name.unicodeScalars.count : maxLength + 1
        if scalars > maxLength {
            return "is too long: at most \(maxLength) characters, got \(name.utf8.count <= 4 * maxLength ? "\(scalars)" : "\(name.utf8.count) bytes")"
        }
        if let control = name.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
            let code = String(control.value, radix: 16, uppercase: true)
            return "must not contain control characters (it has U+\(String(repeating: "0", count: max(0, 4 - code.count)) + code))"
        }
        if name.allSatisfy(\.isWhitespace) { return "must not be empty" }
        return nil
    }
}
