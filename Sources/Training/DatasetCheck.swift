// `crnnctl datasets check` and submit's pre-flight look at a dataset folder before a long run:
// every image decoded, every label encoded with the run's charset, each label's length against
// the CTC sequence at the run's image size, duplicate images, sizes and aspect ratios, and
// whether the lines look like the run's direction.
import Engine
import Foundation
import Store
import TextImages

/// What a dataset check found.
public struct DatasetReport: Codable, Equatable, Sendable {
    /// One class of problem: how many lines have it, and the first few (`labels.tsv:LINE: why`).
    public struct Finding: Codable, Equatable, Sendable {
        public let problem: String
        public var lines: Int
        public var examples: [String]
    }

    public var source: String
    public var lines = 0
    /// Lines a run can train on (no error below).
    public var usable = 0
    /// Lines a run skips: unreadable or blank image, empty label, characters outside the charset,
    /// a label longer than the CTC sequence; or the whole folder unreadable.
    public var errors: [Finding] = []
    /// Worth a look, not fatal: duplicate images, lines that look like the other direction.
    public var warnings: [Finding] = []
    /// Characters outside the charset with their counts (empty without a config).
    public var unknownCharacters: [String: Int] = [:]
    /// Image heights and aspect ratios (width / height), bucketed: label → lines.
    public var heights: [String: Int] = [:]
    public var aspects: [String: Int] = [:]
    /// Set when most lines have the other direction's shape: the run would learn nothing.
    public var directionMismatch: String?

    /// Why a run on this dataset would fail (nil: it can run, skipping the bad lines).
    public var fatal: String? {
        if usable < 2 { return "\(usable) usable line\(usable == 1 ? "" : "s") (a run needs at least 2: one is held out)" }
        if let directionMismatch { return directionMismatch }
        if usable * 2 < lines { return "\(lines - usable) of \(lines) lines are unusable" }
        return nil
    }
}

public enum DatasetCheck {
    /// Examples kept per finding.
    static let examples = 5

    /// Checks the folder `directory` (labels.tsv and its images). With `alphabet` (the run's
    /// charset) labels are checked against it; with `image` and `direction`, lengths and shapes.
    public static func run(folder directory: String, alphabet: [String]?, image: (width: Int, height: Int)?,
                           direction: TextImages.TextDirection) -> DatasetReport {
        var report = DatasetReport(source: directory)
        let charset: Charset
        let dataset: LabelledDataset
        do {
            // Without a run's alphabet, every character the labels use.
            charset = try alphabet.map { try Charset(name: "run", characters: $0) } ?? labelAlphabet(directory)
            dataset = try LabelledDataset(directory: directory, charset: charset)
        } catch {
            report.errors.append(.init(problem: "labels.tsv cannot be read", lines: 0, examples: ["\(error)"]))
            return report
        }
        check(dataset, charset: charset, checkCharset: alphabet != nil, image: image, direction: direction, into: &report,
              at: { "labels.tsv:\($0)" }) { entries in
            // A file that cannot be read decodes as nothing: reported for its line alone.
            entries.map { (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: $0.path)))) ?? [] }
        }
        return report
    }

    /// Checks dataset `name` stored in PostgreSQL, its images read a thousand lines per query.
    public static func run(stored name: String, store: DatasetStore, alphabet: [String]?, image: (width: Int, height: Int)?,
                           direction: TextImages.TextDirection) -> DatasetReport {
        var report = DatasetReport(source: "dataset \(name)")
        let charset: Charset
        let dataset: LabelledDataset
        let id: Int64
        do {
            id = try store.find(name).id
            let labels = try store.labels(dataset: id)
            charset = try alphabet.map { try Charset(name: "run", characters: $0) } ?? labelAlphabet(labels)
            dataset = LabelledDataset(name: "dataset \(name)", labels: labels, charset: charset)
        } catch {
            report.errors.append(.init(problem: "the dataset cannot be read", lines: 0, examples: ["\(error)"]))
            return report
        }
        check(dataset, charset: charset, checkCharset: alphabet != nil, image: image, direction: direction, into: &report,
              at: { "line \($0)" }) { entries in
            let images = try store.images(dataset: id, lines: entries.map(\.line))
            return try entries.map { entry in
                guard let bytes = images[entry.line] else { throw DatasetStore.Failure.noSuchDataset(name) }
                return bytes
            }
        }
        return report
    }

    /// Every line of `dataset`, its images read `bytes` a chunk of entries at a time.
    private static func check(_ dataset: LabelledDataset, charset: Charset, checkCharset: Bool, image: (width: Int, height: Int)?,
                              direction: TextImages.TextDirection, into report: inout DatasetReport, at: (Int) -> String,
                              bytes: ([LabelledDataset.Entry]) throws -> [[UInt8]]) {
        report.lines = dataset.count
        // Time steps of the CTC sequence: along the text axis.
        let steps = image.map { ModelConfig.timeSteps(width: direction == .horizontal ? $0.width : $0.height) }
        var seen: [Int: Int] = [:]     // image bytes' hash → first line
        var tall = 0, wide = 0
        func checkLine(_ entry: LabelledDataset.Entry, _ data: [UInt8]) {
            let here = at(entry.line)
            var problems: [(String, String)] = []
            if entry.text.isEmpty { problems.append(("empty label", "\(here): the label is empty")) }
            if checkCharset && entry.unknownCount > 0 {
                let missing = String(charset.encode(entry.text).unknown)
                for character in missing { report.unknownCharacters[String(character), default: 0] += 1 }
                problems.append(("characters outside the charset", "\(here): '\(String(missing.prefix(10)))' not in the charset"))
            }
            if let steps {
                let needed = entry.classes.count + zip(entry.classes, entry.classes.dropFirst()).filter { $0 == $1 }.count
                if needed > steps {
                    problems.append(("label too long for the CTC sequence",
                                     "\(here): \(entry.classes.count) characters need \(needed) time steps, the image gives \(steps)"))
                }
            }
            do {
                let decoded = try ImageFile.decode(data, name: entry.path.isEmpty ? here : entry.path)
                if decoded.width == 0 || decoded.height == 0 || decoded.pixels.allSatisfy({ $0 == decoded.pixels.first }) {
                    problems.append(("blank image", "\(here): \(decoded.width)×\(decoded.height), every pixel the same"))
                }
                var hasher = Hasher()
                hasher.combine(data)
                if let first = seen.updateValue(entry.line, forKey: hasher.finalize()) {
                    add(&report.warnings, "duplicate image", "\(here): the same bytes as \(at(first))")
                }
                report.heights[bucket(decoded.height, [24, 32, 48, 64, 96]), default: 0] += 1
                let aspect = Double(decoded.width) / Double(max(decoded.height, 1))
                report.aspects[bucket(aspect, [1, 2, 4, 8, 16]), default: 0] += 1
                if decoded.height > decoded.width { tall += 1 } else if decoded.width > decoded.height { wide += 1 }
            } catch {
                problems.append(("unreadable image", "\(here): \(error)"))
            }
            for (problem, example) in problems { add(&report.errors, problem, example) }
            if problems.isEmpty { report.usable += 1 }
        }
        for chunkStart in stride(from: 0, to: dataset.count, by: 1000) {
            let chunk = Array(dataset.entries[chunkStart..<min(chunkStart + 1000, dataset.count)])
            let chunkBytes: [[UInt8]]
            do {
                chunkBytes = try bytes(chunk)
            } catch {
                for entry in chunk { add(&report.errors, "unreadable image", "\(at(entry.line)): \(error)") }
                continue
            }
            for (entry, data) in zip(chunk, chunkBytes) { checkLine(entry, data) }
        }
        let (against, count) = direction == .horizontal ? ("taller than wide", tall) : ("wider than tall", wide)
        if count * 2 > report.lines {
            report.directionMismatch = "\(count) of \(report.lines) images are \(against): they look like "
                + "\(direction == .horizontal ? "vertical" : "horizontal") lines, and this is a \(direction.rawValue) run"
        }
    }

    private static func add(_ findings: inout [DatasetReport.Finding], _ problem: String, _ example: String) {
        if let i = findings.firstIndex(where: { $0.problem == problem }) {
            findings[i].lines += 1
            if findings[i].examples.count < examples { findings[i].examples.append(example) }
        } else {
            findings.append(.init(problem: problem, lines: 1, examples: [example]))
        }
    }

    /// "<24", "24–31", …, "≥96" for the `edges` given.
    static func bucket<T: Comparable & Numeric & CustomStringConvertible>(_ value: T, _ edges: [T]) -> String {
        guard let upper = edges.firstIndex(where: { value < $0 }) else { return "≥\(edges.last!)" }
        return upper == 0 ? "<\(edges[0])" : "\(edges[upper - 1])–<\(edges[upper])"
    }

    /// Every character the labels of `directory` use, as a charset.
    static func labelAlphabet(_ directory: String) throws -> Charset {
        let text = (try? String(contentsOfFile: directory + "/labels.tsv", encoding: .utf8)) ?? ""
        return try labelAlphabet(text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            return fields.count >= 2 ? String(fields[1]).replacingOccurrences(of: "\r", with: "") : nil
        })
    }

    /// Every character `labels` use, as a charset.
    static func labelAlphabet(_ labels: [String]) throws -> Charset {
        let characters = Set(labels.flatMap { $0.map(String.init) })
        return try Charset(name: "labels", characters: characters.isEmpty ? ["0"] : characters.sorted())
    }

    /// A report a person reads.
    public static func summary(_ report: DatasetReport) -> String {
        var out = "\(report.source): \(report.lines) lines, \(report.usable) usable"
        for finding in report.errors {
            out += "\nerror: \(finding.problem): \(finding.lines) line\(finding.lines == 1 ? "" : "s")"
            for example in finding.examples { out += "\n  \(example)" }
        }
        if !report.unknownCharacters.isEmpty {
            let top = report.unknownCharacters.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.prefix(20)
            out += "\ncharacters outside the charset: " + top.map { "'\($0.key)'×\($0.value)" }.joined(separator: " ")
        }
        for finding in report.warnings {
            out += "\nwarning: \(finding.problem): \(finding.lines) line\(finding.lines == 1 ? "" : "s")"
            for example in finding.examples { out += "\n  \(example)" }
        }
        if let mismatch = report.directionMismatch { out += "\nerror: direction: \(mismatch)" }
        func histogram(_ counts: [String: Int]) -> String {
            counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        }
        if !report.heights.isEmpty {
            out += "\nheights (px): " + histogram(report.heights) + "\naspect (width/height): " + histogram(report.aspects)
        }
        out += report.fatal.map { "\nA run on it would fail: \($0)." }
            ?? (report.errors.isEmpty ? "\nNo problems found." : "\nA run skips the unusable lines.")
        return out
    }
}
