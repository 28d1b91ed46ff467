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
    public static func parseTexts(_ literal: String) -> [String?] {
        var items: [String?] = []
        var chars = Array(literal.dropFirst().dropLast())[...]
        while !chars.isEmpty {
            var item = ""
            var quoted = false
            if chars.first == "\"" {
                quoted = true
                chars = chars.dropFirst()
                while let c = chars.first, c != "\"" {
                    chars = chars.dropFirst()
                    if c == "\\", let next = chars.first { item.append(next); chars = chars.dropFirst() } else { item.append(c) }
                }
                chars = chars.dropFirst()  // closing quote
            } else {
                while let c = chars.first, c != "," { item.append(c); chars = chars.dropFirst() }
            }
            items.append(!quoted && item == "NULL" ? nil : item)
            if chars.first == "," { chars = chars.dropFirst() }
        }
        return items
    }
}
