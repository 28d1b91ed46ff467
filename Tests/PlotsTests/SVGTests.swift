// The curves `crnnctl plot` writes: well-formed SVG (parsed back as XML), text escaped, points
// placed where their values say, and an empty run drawn as such.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Plots

/// Element names and attributes of an XML document; throws when it is not well formed.
private final class Collector: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []
    var text = ""
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append((name, attributes))
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    static func parse(_ svg: String) throws -> Collector {
        let collector = Collector()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = collector
        guard parser.parse() else { throw parser.parserError ?? CocoaError(.fileReadCorruptFile) }
        return collector
    }
}

@Suite struct SVGTests {
    @Test func curvesAreWellFormedAndPlacedByValue() throws {
        var points: [RunCurves.Point] = []
        for step in 0...10 {
            let at = Int64(step * 100)
            points.append(RunCurves.Point(name: "train_loss", step: at, value: 5 - Double(step) * 0.4, fromWorker: false))
            points.append(RunCurves.Point(name: "val_accuracy", step: at, value: Double(step) / 10, fromWorker: false))
            points.append(RunCurves.Point(name: "worker_train_loss", step: at, value: 99, fromWorker: true))
        }
        let svg = SVG.document(title: "run 3", charts: RunCurves.charts(points), width: 600, chartHeight: 300)
        let parsed = try Collector.parse(svg)
        #expect(parsed.elements.first?.name == "svg")
        let lines = parsed.elements.filter { $0.name == "polyline" }
        #expect(lines.count == 2, "training loss and accuracy; series with no points draw nothing")
        // Accuracy 0 → 1 climbs from the bottom of its plot area to the top (SVG y grows down).
        let text = try #require(lines.last?.attributes["points"])
        let accuracy: [[Double]] = text.split(separator: " ").map { pair in pair.split(separator: ",").map { Double(String($0))! } }
        #expect(accuracy.count == 11)
        #expect(accuracy.first![1] > accuracy.last![1] && accuracy.first![0] < accuracy.last![0])
        // The chart spans 300 px: top margin 28, bottom 40 → accuracy 1 at y 300+28, 0 at 600−40.
        #expect(abs(accuracy.last![1] - 328) < 0.11 && abs(accuracy.first![1] - 560) < 0.11)
        #expect(parsed.text.contains("training loss") && parsed.text.contains("line accuracy"))
        let charts = RunCurves.charts(points)
        #expect(charts.flatMap(\.series).flatMap(\.points).allSatisfy { $0.y <= 5 }, "per-worker rows are not the run's curve")
    }

    @Test func textIsEscapedAndAnEmptyRunSaysSo() throws {
        let hostile = "<script>alert(\"x\")</script> & 'co'\u{1}"
        let chart = LineChart(title: hostile, xLabel: "step", series: [Series(name: hostile, points: [(0, 1)], colour: "\"red")])
        let svg = SVG.document(title: hostile, charts: [chart])
        let parsed = try Collector.parse(svg)
        #expect(!parsed.elements.contains { $0.name == "script" })
        #expect(parsed.text.contains("<script>alert(\"x\")</script> & 'co'"), "shown as text, not markup")
        #expect(parsed.elements.contains { $0.name == "circle" }, "a single point is drawn as a dot")

        let empty = try Collector.parse(SVG.document(title: "run 1", charts: RunCurves.charts([])))
        #expect(empty.elements.filter { $0.name == "polyline" }.isEmpty)
        #expect(empty.text.contains("no data yet"))
    }

    @Test func ticksAreRoundNumbersCoveringTheData() {
        let t = Ticks(low: 0, high: 0.937)
        #expect(t.step == 0.2 && t.low == 0 && t.high >= 0.937 && t.values.count == 6)
        #expect(t.label(0.4) == "0.4")
        let steps = Ticks(low: 120, high: 48_000)
        #expect(steps.step == 10_000 && steps.label(40_000) == "40k")
        let flat = Ticks(low: 3, high: 3)
        #expect(flat.high > flat.low)
        #expect(formatFixed(-0.04, decimals: 1) == "-0.0" || formatFixed(-0.04, decimals: 1) == "0.0")
        #expect(formatFixed(2.345, decimals: 2) == "2.35" || formatFixed(2.345, decimals: 2) == "2.34")
    }
}
