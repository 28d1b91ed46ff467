import Engine
import Foundation
import Testing
import TestSupport
import TextImages

/// `crnnctl eval`: reproducible numbers on synthetic samples, labelled folders with characters
/// outside the charset and unreadable images, and scores that agree with predict's readings.
@Suite struct EvalCommandTests {
    static func json(_ output: SplitOutput) throws -> [String: Any] {
        let parsed = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]
        return try #require(parsed, "stdout is one JSON object: \(output.stdout) \(output.stderr)")
    }

    /// Everything but the timings, which differ from run to run.
    static func withoutTimings(_ report: [String: Any]) -> NSDictionary {
        var copy = report
        copy["recognition_seconds"] = nil
        copy["images_per_second"] = nil
        return copy as NSDictionary
    }

    @Test func syntheticNumbersAreReproducible() throws {
        let folder = try temporaryFolder("eval-synthetic")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let checkpoint = try randomCheckpoint(in: folder)
        let arguments = ["eval", "--checkpoint", checkpoint, "--synthetic", "12", "--seed", "5", "--errors", "3",
                         "--threads", "1", "--json"]
        let first = try crnnctl(arguments), second = try crnnctl(arguments)
        #expect(first.status == 0 && second.status == 0, "\(first.stderr)")
        let a = try Self.json(first), b = try Self.json(second)
        #expect(Self.withoutTimings(a) == Self.withoutTimings(b), "two runs, same numbers")
        #expect(a["lines"] as? Int == 12)
        #expect((a["images_per_second"] as? Double ?? 0) > 0)
        // A random model reads digits badly: the worst cases are real mistakes.
        let worst = try #require(a["worst"] as? [[String: Any]])
        #expect(worst.count == 3)
        for entry in worst {
            let truth = try #require(entry["truth"] as? String)
            #expect(!truth.isEmpty && truth.allSatisfy { $0.isASCII && $0.isNumber }, "digits: \(truth)")
            #expect((entry["distance"] as? Int ?? 0) >= 1)
            #expect((0..<12).contains(entry["index"] as? Int ?? -1) && entry["path"] == nil)
        }
        let distances = worst.compactMap { $0["distance"] as? Int }
        #expect(distances == distances.sorted(by: >), "worst first")
        // Another seed renders other lines.
        let other = try Self.json(try crnnctl(["eval", "--checkpoint", checkpoint, "--synthetic", "12", "--seed", "6",
                                                "--errors", "3", "--threads", "1", "--json"]))
        #expect((other["worst"] as? [[String: Any]])?.map { $0["truth"] as? String } != worst.map { $0["truth"] as? String })
    }

    @Test func textReportShowsTheNumbersAndWorstLines() throws {
        let folder = try temporaryFolder("eval-text")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let checkpoint = try randomCheckpoint(in: folder, direction: .vertical)
        let output = try crnnctl(["eval", "--checkpoint", checkpoint, "--synthetic", "6", "--seed", "2", "--errors", "2", "--threads", "1"])
        #expect(output.status == 0, "\(output.stderr)")
        for words in ["line accuracy", "character error", "images/s", "vertical", "worst 2 lines", "sample ", "truth", "prediction"] {
            #expect(output.stdout.contains(words), "'\(words)' in \(output.stdout)")
        }
    }

    /// A labelled folder read by the trained model: the report must agree with what predict
    /// reads for the same files, count the character outside the charset, and skip a bad file.
    @Test func labelledFolderAgreesWithPredictAndCountsUnknownCharacters() throws {
        let folder = try temporaryFolder("eval-labels")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let checkpoint = try GlyphLines.writeTrained(in: folder)
        let lines = GlyphLines.lines(count: 10, seed: 1)
        var tsv = "", truths: [String] = []
        for (i, line) in lines.enumerated() {
            try PNGCodec.write(line.image, to: folder + "/line\(i).png")
            // One label carries a character the model's charset lacks: it must be reported and
            // count as an error, not be dropped.
            let truth = i == 3 ? line.text + "é" : line.text
            truths.append(truth)
            tsv += "line\(i).png\t\(truth)\n"
        }
        _ = FileManager.default.createFile(atPath: folder + "/broken.png", contents: Data())
        tsv += "broken.png\tab\n"
        try tsv.write(toFile: folder + "/labels.tsv", atomically: true, encoding: .utf8)

        let predicted = try crnnctl(["predict", "--checkpoint", checkpoint, "--threads", "1"]
                                    + (0..<10).map { folder + "/line\($0).png" })
        let readings = predicted.stdout.split(separator: "\n").map { String($0.split(separator: "\t", omittingEmptySubsequences: false)[1]) }
        #expect(readings.count == 10)
        let expectedCorrect = zip(readings, truths).filter { $0 == $1 }.count
        #expect(expectedCorrect >= 8, "the trained model reads most lines: \(readings) vs \(truths)")

        let output = try crnnctl(["eval", "--checkpoint", checkpoint, "--labels", folder + "/labels.tsv",
                                  "--errors", "5", "--threads", "1", "--json"])
        #expect(output.status == 1, "one image is unreadable")
        #expect(output.stderr.contains(folder + "/broken.png: empty file"), "\(output.stderr)")
        #expect(output.stderr.contains("'é'×1"), "\(output.stderr)")
        let report = try Self.json(output)
        #expect(report["lines"] as? Int == 10)
        #expect(report["correct_lines"] as? Int == expectedCorrect)
        #expect(report["unknown_characters"] as? [String: Int] == ["é": 1])
        #expect((report["unreadable"] as? [String])?.count == 1)
        let expectedErrors = zip(readings, truths).map { reading, truth in
            editDistanceOfScalars(Array(truth.unicodeScalars), Array(reading.unicodeScalars))
        }.reduce(0, +)
        #expect(report["character_errors"] as? Int == expectedErrors)
        #expect(report["truth_characters"] as? Int == truths.map(\.unicodeScalars.count).reduce(0, +))
        let worst = try #require(report["worst"] as? [[String: Any]])
        #expect(worst.contains { $0["path"] as? String == folder + "/line3.png" && ($0["truth"] as? String)?.hasSuffix("é") == true })

        // The folder itself works as well as its labels.tsv.
        let byFolder = try Self.json(try crnnctl(["eval", "--checkpoint", checkpoint, "--labels", folder, "--threads", "1", "--json"]))
        #expect(byFolder["correct_lines"] as? Int == expectedCorrect)

        // A labels file of another name scores exactly its lines (a subset of the set's).
        let subset = (0..<4).map { "line\($0).png\t\(truths[$0])\n" }.joined()
        try subset.write(toFile: folder + "/first-four.tsv", atomically: true, encoding: .utf8)
        let bySubset = try Self.json(try crnnctl(["eval", "--checkpoint", checkpoint, "--labels", folder + "/first-four.tsv",
                                                  "--threads", "1", "--json"]))
        #expect(bySubset["lines"] as? Int == 4)
        #expect(bySubset["correct_lines"] as? Int == zip(readings.prefix(4), truths.prefix(4)).filter { $0 == $1 }.count)
    }

    @Test(arguments: [
        ([String](), "give --synthetic N"),
        (["--synthetic", "5", "--labels", "x/labels.tsv"], "not both"),
        (["--synthetic", "0"], "--synthetic must be at least 1"),
        (["--labels", "/nonexistent-crnn/labels.tsv"], "no such file"),
        (["--synthetic", "3", "--errors", "-1"], "--errors"),
    ])
    func usageErrorsExit64(arguments: [String], message: String) throws {
        let output = try crnnctl(["eval", "--checkpoint", "whatever.crnn"] + arguments)
        #expect(output.status == 64, "\(output.stderr)")
        #expect(output.stderr.contains(message), "\(output.stderr)")
    }

    @Test func helpExplainsTheScoresAndExitStatus() throws {
        let output = try crnnctl(["eval", "--help"])
        #expect(output.status == 0)
        for words in ["Character error rate", "--synthetic", "--labels", "--errors", "64  usage error"] {
            #expect(output.stdout.contains(words), "'\(words)' in \(output.stdout)")
        }
    }

    @Test func missingCheckpointIsNamed() throws {
        let output = try crnnctl(["eval", "--checkpoint", "/nonexistent-crnn/model.crnn", "--synthetic", "3"])
        #expect(output.status == 2)
        #expect(output.stderr.contains("/nonexistent-crnn/model.crnn: cannot read or write the checkpoint"), "\(output.stderr)")
    }
}

/// Levenshtein distance, written again here so the test does not trust the code it checks.
func editDistanceOfScalars(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
    var table = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var diagonal = table[0]
        table[0] = i
        for j in stride(from: 1, through: b.count, by: 1) {
            let above = table[j]
            table[j] = min(diagonal + (a[i - 1] == b[j - 1] ? 0 : 1), above + 1, table[j - 1] + 1)
            diagonal = above
        }
    }
    return table[b.count]
}
