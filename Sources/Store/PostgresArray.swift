/// PostgreSQL array literals (`{1,2,NULL}`, `{"a","b \"q\""}`) for binding whole columns as one
/// parameter: `unnest($1::bigint[], ...)` inserts thousands of rows in one statement, which is
/// what makes submitting a run with 40,000 shards or a batch of metrics one round trip.
public enum PostgresArray {
    /// Integers or NULLs.
    public static func integers<I: BinaryInteger>(_ values: [I?]) -> String {
        "{" + values.map { $0.map { String($0) } ?? "NULL" }.joined(separator: ",") + "}"
    }

    public static func integers<I: BinaryInteger>(_ values: [I]) -> String {
        "{" + values.map { String($0) }.joined(separator: ",") + "}"
    }

    /// Doubles, with PostgreSQL's spelling of NaN and the infinities.
    public static func doubles(_ values: [Double]) -> String {
        "{" + values.map { value -> String in
            guard case .text(let text) = value.postgresValue else { return "NULL" }
            return text
        }.joined(separator: ",") + "}"
    }

    /// Texts or NULLs, each quoted so commas, braces, quotes and backslashes survive.
    public static func texts(_ values: [String?]) -> String {
        "{" + values.map { value -> String in
            guard let value else { return "NULL" }
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"" + escaped + "\""
        }.joined(separator: ",") + "}"
    }

    /// Parses a text-format array of texts as PostgreSQL returns it (`{a,"b c",NULL}`).
    ///
    /// Works on Unicode scalars, not Characters: an element that starts with a combining mark
    /// (U+302A … U+302F are in the full charset) would otherwise fuse with the comma or quote
    /// before it into one grapheme and swallow the delimiter.
    public static func parseTexts(_ literal: String) -> [String?] {
        let quote: Unicode.Scalar = "\"", comma: Unicode.Scalar = ",", backslash: Unicode.Scalar = "\\"
        var items: [String?] = []
        var scalars = Array(literal.unicodeScalars.dropFirst().dropLast())[...]
        while !scalars.isEmpty {
            var item = String.UnicodeScalarView()
            var quoted = false
            if scalars.first == quote {
                quoted = true
                scalars = scalars.dropFirst()
                while let c = scalars.first, c != quote {
                    scalars = scalars.dropFirst()
                    if c == backslash, let next = scalars.first {
                        item.append(next)
                        scalars = scalars.dropFirst()
                    } else {
                        item.append(c)
                    }
                }
                scalars = scalars.dropFirst()  // closing quote
            } else {
                while let c = scalars.first, c != comma { item.append(c); scalars = scalars.dropFirst() }
            }
            let text = String(item)
            items.append(!quoted && text == "NULL" ? nil : text)
            if scalars.first == comma { scalars = scalars.dropFirst() }
        }
        return items
    }
}
