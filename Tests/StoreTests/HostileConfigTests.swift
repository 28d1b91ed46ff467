import Foundation
import Testing
import TestSupport
import Yams
@testable import Store

/// Configs written to hurt: nesting deep enough to overflow a recursive parser, alias bombs,
/// enormous mappings, and values that used to pass submit and fail later. Each is refused at
/// parse time with an error naming the file (and the key where there is one).
@Suite struct HostileConfigTests {
    let minimal = """
        model: tiny
        charset: digits
        data:
          synthetic: {samples_per_epoch: 1000}

        """

    func parse(_ yaml: String, overrides: [String] = [], baseDirectory: String = "/tmp") throws -> RunConfig {
        try RunConfigParser().parse(yaml: yaml, file: "run.yaml", baseDirectory: baseDirectory, overrides: overrides)
    }

    func failure(_ body: () throws -> RunConfig) -> RunConfigError? {
        do {
            _ = try body()
            Issue.record("expected a RunConfigError")
            return nil
        } catch let error as RunConfigError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    @Test func deepNestingIsRefusedBeforeYamsRecurses() {
        // 10,000 levels of flow nesting overflowed the stack in Yams' recursive composer.
        let flow = failure { try parse(minimal + "extra: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)) }
        #expect(flow?.kind == .invalidYAML && flow?.reason.contains("more than 64 levels") == true, "\(String(describing: flow))")
        #expect(flow?.line == 5)
        // Block nesting: compact lists on one line, and indented keys.
        let block = failure { try parse(minimal + "extra:\n" + String(repeating: "- ", count: 5_000) + "x\n") }
        #expect(block?.reason.contains("more than 64 levels") == true, "\(String(describing: block))")
        let keys = (0..<100).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n") + " end\n"
        let indented = failure { try parse(minimal + keys) }
        #expect(indented?.reason.contains("more than 64 levels") == true && indented?.line == 5 + 64, "\(String(describing: indented))")
        // In a --set value too.
        let set = failure { try parse(minimal, overrides: ["name=" + String(repeating: "[", count: 10_000)]) }
        #expect(set?.kind == .badOverride && set?.key == "name" && set?.reason.contains("more than 64 levels") == true,
                "\(String(describing: set))")
    }

    /// Nine levels of ten aliases each: 10^9 values when expanded, a few hundred bytes written.
    static let aliasBomb: String = {
        var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        for level in 1..<9 {
            lines.append("a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]")
        }
        return "{" + lines.joined(separator: ", ") + "}"
    }()

    @Test func aliasBombsAreRefusedBeforeAnythingExpandsThem() {
        // --set copied the value node by node: this grew to gigabytes.
        let set = failure { try parse(minimal, overrides: ["name=" + Self.aliasBomb]) }
        #expect(set?.kind == .badOverride && set?.fromOverride == true && set?.reason.contains("more than 100000 values") == true,
                "\(String(describing: set))")
        let file = failure { try parse(minimal + "extra: " + Self.aliasBomb + "\n") }
        #expect(file?.kind == .invalidYAML && file?.reason.contains("each alias counted as a copy") == true, "\(String(describing: file))")
        // Aliases that expand to little are still fine.
        #expect(throws: Never.self) {
            try parse(minimal + "optimizer: &o {type: adam, lr: 0.001}\n", overrides: ["schedule={type: constant}"])
        }
    }

    @Test func hugeMappingsAreRefusedQuickly() {
        let keys = (0..<80_000).map { "k\($0): 1" }.joined(separator: "\n")
        let started = Date()
        let error = failure { try parse(minimal + keys + "\n") }
        #expect(error?.reason.contains("more than 100000 values") == true, "\(String(describing: error))")
        #expect(Date().timeIntervalSince(started) < 10)
        let big = failure { try parse(minimal + "extra: '" + String(repeating: "x", count: 2 << 20) + "'\n") }
        #expect(big?.reason.contains("more than the limit of 1048576") == true, "\(String(describing: big))")
    }

    @Test func theDuplicateKeyCheckIsLinear() throws {
        // 80,000 keys with the duplicate last: a list search made this 11 s.
        let pairs = (0..<80_000).map { (Node("k\($0)"), Node("1")) } + [(Node("k17"), Node("2"))]
        let started = Date()
        #expect { try ConfigMapping(ConfigNode(node: Node(pairs), path: "", file: "run.yaml")) } throws: {
            ($0 as? RunConfigError)?.key == "k17" && "\($0)".contains("appears twice")
        }
        #expect(Date().timeIntervalSince(started) < 3, "took \(Date().timeIntervalSince(started)) s")
    }

    @Test func charsetFilesWithCRLFLineEndsAreRead() throws {
        let folder = NSTemporaryDirectory() + "crlf-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "a\r\nb\r\n\r\nc\r\n".write(toFile: folder + "/letters.txt", atomically: true, encoding: .utf8)
        let config = try parse("""
            model: tiny
            charset: letters.txt
            data: {synthetic: {samples_per_epoch: 10}}
            """, baseDirectory: folder)
        #expect(config.fileCharacters == ["a", "b", "c"])
    }

    @Test func theImageSizeIsCheckedAgainstTheModelAtSubmit() {
        // image.width 30 used to pass submit and fail in the coordinator.
        let width = failure { try parse(minimal + "image: {height: 32, width: 30}") }
        #expect(width?.kind == .invalidValue && width?.key == "image.width" && width?.line == 5
                && width?.reason.contains("multiple of 4 and at least 16") == true, "\(String(describing: width))")
        let set = failure { try parse(minimal, overrides: ["image.width=30", "image.height=32"]) }
        #expect(set?.key == "image.width" && set?.fromOverride == true, "\(String(describing: set))")
        let height = failure { try parse(minimal + "image: {height: 48, width: 128}") }
        #expect(height?.key == "image.height" && height?.reason.contains("32 pixels high") == true, "\(String(describing: height))")
        let vertical = failure { try parse(minimal + "direction: vertical\nimage: {height: 128, width: 64}") }
        #expect(vertical?.key == "image.width" && vertical?.reason.contains("32 pixels wide") == true, "\(String(describing: vertical))")
        let short = failure { try parse(minimal + "direction: vertical\nimage: {height: 12, width: 32}") }
        #expect(short?.key == "image.height", "\(String(describing: short))")
        #expect(throws: Never.self) { try parse(minimal + "direction: vertical\nimage: {height: 128, width: 32}") }
    }

    @Test func theValidationSetIsBoundedAtSubmit() throws {
        // 10,000,000 lines of 32×512 would make the coordinator allocate 655 GB.
        let huge = failure { try parse(minimal + "validation: {size: 10000000}") }
        #expect(huge?.kind == .invalidValue && huge?.key == "validation.size"
                && huge?.reason.contains("MiB in the coordinator's memory") == true, "\(String(describing: huge))")
        // The bound depends on the image: 16,384 lines of 32×512 fit in 1 GiB, 16,385 do not.
        #expect(throws: Never.self) { try parse(minimal + "validation: {size: 16384}") }
        let over = failure { try parse(minimal + "validation: {size: 16385}") }
        #expect(over?.reason.contains("at most 16384 lines") == true, "\(String(describing: over))")
        #expect(throws: Never.self) { try parse(minimal + "image: {height: 32, width: 128}\nvalidation: {size: 65536}") }
    }
}
