import Foundation
import Testing
import TestSupport

/// Checkpoints whose header claims impossible sizes, with the checksum recomputed: predict and
/// eval refuse each with exit status 2 (as their help says) and a message naming the field,
/// instead of crashing on an allocation or an overflow.
@Suite struct CraftedCheckpointTests {
    static let cases: [(field: String, value: Any, expected: String)] = [
        ("config.hidden", 1_000_000, "config.hidden is 1000000"),
        ("config.hidden", 1 << 31, "config.hidden is 2147483648"),
        ("config.classes", 1 << 55, "config.classes is 36028797018963968"),
        ("imageWidth", 1_000_000_000, "imageWidth is 1000000000"),
        ("imageWidth", Int.max, "imageWidth is \(Int.max)"),
        ("imageWidth", -128, "imageWidth is -128"),
        ("imageHeight", 0, "imageHeight is 0"),
    ]

    @Test func predictAndEvalRefuseThemWithStatus2() throws {
        let folder = try temporaryFolder("crafted")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try randomCheckpoint(in: folder))))
        let image = folder + "/line.png"
        try writePNG(image, width: 100, height: 32, channels: 1)
        for (index, (field, value, expected)) in Self.cases.enumerated() {
            let crafted = try HostileFiles.checkpoint(good) { header in
                if field.hasPrefix("config.") {
                    var config = header["config"] as! [String: Any]
                    config[String(field.dropFirst("config.".count))] = value
                    header["config"] = config
                } else {
                    header[field] = value
                }
            }
            let path = folder + "/crafted-\(index).crnn"
            try Data(crafted).write(to: URL(fileURLWithPath: path))
            let eval = try crnnctl(["eval", "--checkpoint", path, "--synthetic", "2", "--threads", "1"])
            #expect(eval.status == 2 && eval.stderr.contains(expected) && eval.stderr.contains(path), "eval, \(expected): \(eval.status) \(eval.stderr)")
            let predict = try crnnctl(["predict", "--checkpoint", path, "--threads", "1", image])
            #expect(predict.status == 2 && predict.stderr.contains(expected), "predict, \(expected): \(predict.status) \(predict.stderr)")
        }
    }
}
