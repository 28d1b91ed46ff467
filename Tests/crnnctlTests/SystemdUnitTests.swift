import Foundation
import Store
import Testing
import TestSupport

/// deploy/systemd: the units pass `systemd-analyze verify` (syntax, known directives, hardening
/// options, an executable ExecStart: the built daemons stand in for /usr/local/bin).
@Suite struct SystemdUnitTests {
    static let units = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("deploy/systemd")

    /// `systemd-analyze verify` of `unit`'s text saved as `name`, with the daemons' real paths.
    func verify(_ text: String, as name: String) throws -> CommandRunner.Output {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("units-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent(name).path
        let local = text.replacingOccurrences(of: "/usr/local/bin/", with: BuiltProducts.directory.path + "/")
        try local.write(toFile: path, atomically: true, encoding: .utf8)
        return try CommandRunner.run(["/usr/bin/systemd-analyze", "verify", "--man=no", path])
    }

    @Test(arguments: [("crnn-coordinator.service", "crnn-coordinator.service"), ("crnn-worker@.service", "crnn-worker@1.service")])
    func unitVerifies(file: String, instance: String) throws {
        let text = try String(contentsOf: Self.units.appendingPathComponent(file), encoding: .utf8)
        for directive in ["NoNewPrivileges=yes", "ProtectSystem=strict", "User=crnn", "Restart=on-failure", "EnvironmentFile=", "KillSignal=SIGTERM"] {
            #expect(text.contains(directive), "\(file) lacks \(directive)")
        }
        let verified = try verify(text, as: instance)
        #expect(verified.status == 0 && verified.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(verified.text)")
    }

    @Test func verifyCatchesABrokenUnit() throws {
        let text = try String(contentsOf: Self.units.appendingPathComponent("crnn-coordinator.service"), encoding: .utf8)
        let broken = try verify(text.replacingOccurrences(of: "Restart=on-failure", with: "Restart=sometimes"), as: "crnn-coordinator.service")
        #expect(broken.text.contains("Failed to parse service restart specifier"), "\(broken.text)")
    }
}
