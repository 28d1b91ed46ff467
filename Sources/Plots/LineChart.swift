// Line charts as SVG, drawn on the server: a run's curves for `crnnctl plot` (and any page that
// shows them) with no JavaScript. Coordinates: x grows right, y grows up in data space; the SVG
// y axis grows down, so `place` flips it.

/// One named line of (x, y) points.
public struct Series: Equatable, Sendable {
    public var name: String
    public var points: [(x: Double, y: Double)]
    /// Any CSS colour.
    public var colour: String

    public init(name: String, points: [(x: Double, y: Double)], colour: String) {
        self.name = name
        self.points = points.filter { $0.x.isFinite && $0.y.isFinite }
        self.colour = colour
    }

    public static func == (a: Series, b: Series) -> Bool {
        a.name == b.name && a.colour == b.colour && a.points.elementsEqual(b.points) { $0.x == $1.x && $0.y == $1.y }
    }
}

/// A chart with axes, ticks, a legend and its series as polylines.
public struct LineChart: Sendable {
    public var title: String
    public var xLabel: String
    public var series: [Series]
    /// Fixed y range (e.g. 0…1 for an accuracy); nil: from the data, starting at 0 when all
    /// values are positive.
    public var yRange: ClosedRange<Double>?
    /// Fixed x range (charts stacked on one axis share it); nil: from the data.
    public var xRange: ClosedRange<Double>?

    public init(title: String, xLabel: String, series: [Series], yRange: ClosedRange<Double>? = nil,
                xRange: ClosedRange<Double>? = nil) {
        self.title = title
        self.xLabel = xLabel
        self.series = series
        self.yRange = yRange
        self.xRange = xRange
    }

    /// The chart as an SVG `<g>` group of `width`×`height` at (`x`, `y`).
    public func svgGroup(x: Double, y: Double, width: Double, height: Double) -> String {
        let margin = (left: 56.0, right: 16.0, top: 28.0, bottom: 40.0)
        let plot = (x: x + margin.left, y: y + margin.top,
                    width: width - margin.left - margin.right, height: height - margin.top - margin.bottom)
        let all = series.flatMap(\.points)
        var out = "<g class=\"chart\">\n"
        out += "<text x=\"\(fmt(x + width / 2))\" y=\"\(fmt(y + 18))\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">\(SVG.escape(title))</text>\n"
        guard !all.isEmpty else {
            out += "<text x=\"\(fmt(x + width / 2))\" y=\"\(fmt(y + height / 2))\" text-anchor=\"middle\" font-size=\"12\" fill=\"#666\">no data yet</text>\n</g>\n"
            return out
        }
        let xs = Ticks(low: xRange?.lowerBound ?? all.map(\.x).min()!, high: xRange?.upperBound ?? all.map(\.x).max()!)
        let ys: Ticks
        if let yRange {
            ys = Ticks(low: yRange.lowerBound, high: yRange.upperBound)
        } else {
            let low = all.map(\.y).min()!, high = all.map(\.y).max()!
            ys = Ticks(low: low > 0 ? 0 : low, high: high)
        }
        func place(_ p: (x: Double, y: Double)) -> (Double, Double) {
            (plot.x + (p.x - xs.low) / (xs.high - xs.low) * plot.width,
             plot.y + plot.height - (min(max(p.y, ys.low), ys.high) - ys.low) / (ys.high - ys.low) * plot.height)
        }
        out += "<rect x=\"\(fmt(plot.x))\" y=\"\(fmt(plot.y))\" width=\"\(fmt(plot.width))\" height=\"\(fmt(plot.height))\" fill=\"none\" stroke=\"#999\"/>\n"
        for tick in xs.values {
            let (px, _) = place((tick, ys.low))
            out += "<line x1=\"\(fmt(px))\" y1=\"\(fmt(plot.y))\" x2=\"\(fmt(px))\" y2=\"\(fmt(plot.y + plot.height))\" stroke=\"#eee\"/>\n"
            out += "<text x=\"\(fmt(px))\" y=\"\(fmt(plot.y + plot.height + 14))\" text-anchor=\"middle\" font-size=\"10\">\(SVG.escape(xs.label(tick)))</text>\n"
        }
        for tick in ys.values {
            let (_, py) = place((xs.low, tick))
            out += "<line x1=\"\(fmt(plot.x))\" y1=\"\(fmt(py))\" x2=\"\(fmt(plot.x + plot.width))\" y2=\"\(fmt(py))\" stroke=\"#eee\"/>\n"
            out += "<text x=\"\(fmt(plot.x - 4))\" y=\"\(fmt(py + 3))\" text-anchor=\"end\" font-size=\"10\">\(SVG.escape(ys.label(tick)))</text>\n"
        }
        out += "<text x=\"\(fmt(plot.x + plot.width / 2))\" y=\"\(fmt(y + height - 6))\" text-anchor=\"middle\" font-size=\"11\">\(SVG.escape(xLabel))</text>\n"
        for (index, line) in series.enumerated() where !line.points.isEmpty {
            let points = line.points.map { place($0) }.map { "\(fmt($0.0)),\(fmt($0.1))" }.joined(separator: " ")
            let colour = SVG.escape(line.colour)
            out += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" points=\"\(points)\"><title>\(SVG.escape(line.name))</title></polyline>\n"
            if line.points.count == 1, let only = line.points.first {
                let (px, py) = place(only)
                out += "<circle cx=\"\(fmt(px))\" cy=\"\(fmt(py))\" r=\"2.5\" fill=\"\(colour)\"/>\n"
            }
            let legendY = plot.y + 14 + Double(index) * 14
            out += "<line x1=\"\(fmt(plot.x + 8))\" y1=\"\(fmt(legendY - 4))\" x2=\"\(fmt(plot.x + 24))\" y2=\"\(fmt(legendY - 4))\" stroke=\"\(colour)\" stroke-width=\"2\"/>\n"
            out += "<text x=\"\(fmt(plot.x + 28))\" y=\"\(fmt(legendY))\" font-size=\"11\">\(SVG.escape(line.name))</text>\n"
        }
        return out + "</g>\n"
    }
}

/// Four to seven round tick values covering [low, high] (1, 2 or 5 × a power of ten apart).
struct Ticks {
    let low: Double, high: Double, step: Double

    init(low: Double, high: Double) {
        let span = high > low ? high - low : max(abs(low), 1)
        let raw = span / 6
        let power = pow10(floorLog10(raw))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? 10 * power
        self.step = step
        self.low = (low / step).rounded(.down) * step
        let top = (high / step).rounded(.up) * step
        self.high = top > self.low ? top : self.low + step
    }

    var values: [Double] {
        stride(from: low, through: high + step / 2, by: step).map { $0 }
    }

    func label(_ value: Double) -> String {
        if step >= 1000 && value != 0 { return formatFixed(value / 1000, decimals: step >= 10_000 || (step / 1000).rounded() == step / 1000 ? 0 : 1) + "k" }
        if step >= 1 { return "\(Int(value.rounded()))" }
        let decimals = max(0, Int(-floorLog10(step)))
        return formatFixed(value, decimals: decimals)
    }
}

private func floorLog10(_ x: Double) -> Double {
    var exponent = 0.0, v = x
    while v >= 10 { v /= 10; exponent += 1 }
    while v < 1 && v > 0 { v *= 10; exponent -= 1 }
    return exponent
}

private func pow10(_ exponent: Double) -> Double {
    var result = 1.0
    if exponent >= 0 { for _ in 0..<Int(exponent) { result *= 10 } } else { for _ in 0..<Int(-exponent) { result /= 10 } }
    return result
}

/// `value` with `decimals` digits after the point, without Foundation.
func formatFixed(_ value: Double, decimals: Int) -> String {
    let scale = pow10(Double(decimals))
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale), fraction = Int(scaled) - whole * Int(scale)
    let sign = value < 0 && scaled != 0 ? "-" : ""
    guard decimals > 0 else { return sign + "\(whole)" }
    let digits = String(fraction)
    return sign + "\(whole)." + String(repeating: "0", count: decimals - digits.count) + digits
}

/// Coordinates with one decimal: enough for a screen, short in the file.
func fmt(_ value: Double) -> String { formatFixed(value, decimals: 1) }
