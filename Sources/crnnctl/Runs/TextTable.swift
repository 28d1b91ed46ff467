import Foundation

/// Left-aligned columns separated by two spaces, the way `crnnctl runs` and friends print lists.
func textTable(_ headers: [String], _ rows: [[String]]) -> String {
    var widths = headers.map(\.count)
    for row in rows {
        for (column, cell) in row.enumerated() where column < widths.count {
            widths[column] = max(widths[column], cell.count)
        }
    }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { column, cell in
            column == cells.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }
    return ([line(headers)] + rows.map(line)).joined(separator: "\n")
}

/// A number for a table cell: "-" when absent, else up to `digits` decimals.
func cell(_ value: Double?, digits: Int = 4) -> String {
    guard let value else { return "-" }
    if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
    return String(format: "%.\(digits)f", value)
}

/// Prints `value` as pretty, key-sorted JSON with snake_case keys (the SQL views' column names).
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
