/// SVG documents and the escaping of text placed in them.
public enum SVG {
    /// `text` safe inside an element or a double-quoted attribute.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            // XML 1.0 forbids most control characters, even escaped.
            case _ where scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r": out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `charts` stacked one above the other in one document `width` wide.
    public static func document(title: String, charts: [LineChart], width: Double = 720, chartHeight: Double = 280) -> String {
        let height = chartHeight * Double(max(charts.count, 1))
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(fmt(width))\" height=\"\(fmt(height))\" viewBox=\"0 0 \(fmt(width)) \(fmt(height))\" font-family=\"sans-serif\">\n"
        out += "<title>\(escape(title))</title>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        for (index, chart) in charts.enumerated() {
            out += chart.svgGroup(x: 0, y: Double(index) * chartHeight, width: width, height: chartHeight)
        }
        return out + "</svg>\n"
    }
}
