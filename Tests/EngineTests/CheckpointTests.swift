import Foundation
import Testing
@testable import Engine

@Suite struct CheckpointTests {
    func sample() -> Checkpoint {
        let model = CRNNModel(config: ModelPreset.tiny.config(classes: 4), direction: .vertical, seed: 5)
        model.buffers["bn5.running_mean"][3] = 0.25
        return model.checkpoint(preset: "tiny", charset: ["a", "中", "🙂"], imageHeight: 256,
                                imageWidth: 32, step: 1234, metrics: ["accuracy": 0.5, "loss": 1.25])
    }

    func kind(_ error: Error) -> String {
        guard let e = error as? CheckpointError else { return "not a CheckpointError: \(error)" }
        switch e {
        case .io: return "io"
        case .truncated: return "truncated"
        case .badMagic: return "badMagic"
        case .unsupportedVersion: return "unsupportedVersion"
        case .checksumMismatch: return "checksumMismatch"
        case .invalidHeader: return "invalidHeader"
        case .corruptPayload: return "corruptPayload"
        case .compression: return "compression"
        case .notRepresentable: return "notRepresentable"
        }
    }

    func decodeError(_ bytes: [UInt8]) -> Error? {
        do { _ = try Checkpoint.decode(bytes, source: "x.crnn"); return nil } catch { return error }
    }

    @Test func roundTripIsBitExact() throws {
        let original = sample()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID()).crnn").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try original.write(to: path)
        let loaded = try Checkpoint.load(path: path)
        #expect(loaded == original)
        #expect(loaded.parameters.map(\.bitPattern) == original.parameters.map(\.bitPattern))
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(Array(bytes.prefix(8)) == Array("CRNNCKPT".utf8))
        #expect(try loaded.encoded() == bytes, "encoding is deterministic")
        // The restored model computes what the saved one did.
        let a = CRNNModel(checkpoint: original), b = CRNNModel(checkpoint: loaded)
        let images = randomFloats(32 * 20, seed: 2)
        #expect(try a.logits(images: images, batch: 1).values == b.logits(images: images, batch: 1).values)
    }

    @Test func truncatedFilesThrowTruncated() throws {
        let bytes = try sample().encoded()
        let headerEnd = 16 + Int(readUInt32(bytes, at: 12))
        for cut in [0, 5, 8, 14, 20, headerEnd - 7, headerEnd + 3, (headerEnd + bytes.count) / 2, bytes.count - 1] {
            let error = decodeError(Array(bytes.prefix(cut)))
            #expect(error.map(kind) == "truncated", "cut at \(cut): \(String(describing: error))")
            #expect("\(error!)".contains("x.crnn"), "the message names the file")
        }
    }

    @Test func flippedBytesAreDetected() throws {
        let bytes = try sample().encoded()
        let headerEnd = 16 + Int(readUInt32(bytes, at: 12))
        for position in [20, headerEnd / 2, headerEnd - 2, headerEnd + 10, bytes.count - 20, bytes.count - 3] {
            var damaged = bytes
            damaged[position] ^= 0x40
            let error = decodeError(damaged)
            #expect(error != nil, "flip at \(position) went unnoticed")
            if let error { #expect(["checksumMismatch", "invalidHeader", "truncated", "corruptPayload"].contains(kind(error))) }
        }
    }

    @Test func wrongMagicAndVersion() throws {
        var bytes = try sample().encoded()
        var wrongMagic = bytes
        wrongMagic[0] = UInt8(ascii: "X")
        #expect(decodeError(wrongMagic).map(kind) == "badMagic")
        #expect(decodeError(Array("PK\u{3}\u{4}hello".utf8)).map(kind) == "badMagic")
        bytes[8] = 4
        let error = decodeError(bytes)
        #expect(error as? CheckpointError == .unsupportedVersion(source: "x.crnn", found: 4, supported: 3))
        #expect("\(error!)".contains("version 4"))
    }

    @Test func missingFileIsAnIOError() {
        #expect(throws: CheckpointError.self) { try Checkpoint.load(path: "/nonexistent/dir/model.crnn") }
    }

    @Test func headerThatDisagreesWithItsTensorsIsRejected() throws {
        // A header claiming 5 classes over a 4-class payload, with a valid checksum.
        var bytes = try sample().encoded()
        let length = Int(readUInt32(bytes, at: 12))
        var json = String(decoding: bytes[16..<(16 + length)], as: UTF8.self)
        json = json.replacingOccurrences(of: "\"classes\":4", with: "\"classes\":5")
        let rest = Array(bytes[(16 + length)..<(bytes.count - 8)])
        bytes = Array(bytes.prefix(12))
        appendLittleEndian(&bytes, UInt32(json.utf8.count))
        bytes += Array(json.utf8) + rest
        appendLittleEndian(&bytes, fnv1a64(bytes))
        let error = decodeError(bytes)
        #expect(error.map(kind) == "invalidHeader", "\(String(describing: error))")
    }

    /// `bytes` with its JSON header edited by `edit` and the checksum recomputed, as anyone can.
    func resealed(_ bytes: [UInt8], _ edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
        let length = Int(readUInt32(bytes, at: 12))
        var header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[16..<(16 + length)])) as? [String: Any])
        edit(&header)
        let json = [UInt8](try JSONSerialization.data(withJSONObject: header))
        var out = Array(bytes.prefix(12))
        appendLittleEndian(&out, UInt32(json.count))
        out += json + Array(bytes[(16 + length)..<(bytes.count - 8)])
        appendLittleEndian(&out, fnv1a64(out))
        return out
    }

    /// Headers that claim sizes no model has, with a valid checksum: each is refused before
    /// anything is allocated for it, with a message naming the field (issue 12: these crashed
    /// with an allocation failure or an arithmetic overflow, or were accepted).
    @Test func craftedDimensionsAreRefusedNamingTheField() throws {
        let model = CRNNModel(config: ModelPreset.tiny.config(classes: 4), direction: .horizontal, seed: 5)
        let bytes = try model.checkpoint(preset: "tiny", charset: ["a", "b", "c"], imageHeight: 32, imageWidth: 128, step: 7).encoded()
        func config(_ key: String, _ value: Any) -> (inout [String: Any]) -> Void {
            { header in
                var config = header["config"] as! [String: Any]
                config[key] = value
                header["config"] = config
            }
        }
        func top(_ key: String, _ value: Any) -> (inout [String: Any]) -> Void { { $0[key] = value } }
        let cases: [(String, (inout [String: Any]) -> Void)] = [
            ("config.hidden is 1000000", config("hidden", 1_000_000)),
            ("config.hidden is 2147483648", config("hidden", 1 << 31)),
            ("config.hidden is 0", config("hidden", 0)),
            ("config.classes is 36028797018963968", config("classes", 1 << 55)),
            ("config.channels[6] is -32", config("channels", [8, 16, 24, 24, 32, 32, -32])),
            ("config.channels has 2 entries", config("channels", [8, 16])),
            ("makes more than 268435456 values", config("channels", [4096, 4096, 4096, 4096, 4096, 4096, 4096])),
            ("imageWidth is 1000000000", top("imageWidth", 1_000_000_000)),
            ("imageWidth is \(Int.max)", top("imageWidth", Int.max)),
            ("imageWidth is -128", top("imageWidth", -128)),
            ("imageWidth is 30", top("imageWidth", 30)),
            ("imageHeight is 0", top("imageHeight", 0)),
            ("step is -1", top("step", -1)),
        ]
        for (expected, edit) in cases {
            let error = decodeError(try resealed(bytes, edit))
            #expect(error.map(kind) == "invalidHeader", "\(expected): \(String(describing: error))")
            #expect(error.map { "\($0)".contains(expected) && "\($0)".contains("x.crnn") } == true,
                    "expected '\(expected)' in \(String(describing: error))")
        }
        // A vertical model's text axis is its height.
        let vertical = try sample().encoded()
        #expect(decodeError(try resealed(vertical, top("imageHeight", 30))).map { "\($0)".contains("imageHeight is 30") } == true)
        #expect(decodeError(try resealed(vertical, top("imageWidth", 64))).map { "\($0)".contains("imageWidth is 64") } == true)
        #expect(decodeError(try resealed(bytes, { _ in })) == nil, "resealing alone changes nothing")
    }
}
