import Foundation
import Testing
@testable import Wire

/// Token files are refused, as ssh refuses a private key, when their group or others may access
/// them: the error names the file and its mode.
@Suite struct TokenFileTests {
    @Test func aTokenFileOthersCanReadIsRefused() throws {
        let path = NSTemporaryDirectory() + "token-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "s3cret\n".write(toFile: path, atomically: true, encoding: .utf8)
        for mode in [0o644, 0o640, 0o604, 0o620, 0o660] {
            chmod(path, mode_t(mode))
            #expect(throws: TokenError.tooOpen(path: path, mode: mode)) { try SharedToken.resolve(file: path) }
        }
        chmod(path, 0o644)
        let message = "\(TokenError.tooOpen(path: path, mode: 0o644))"
        #expect(message.contains(path) && message.contains("mode 0644") && message.contains("chmod 600"))
        for mode in [0o600, 0o400] {
            chmod(path, mode_t(mode))
            #expect(try SharedToken.resolve(file: path).bytes == Array("s3cret".utf8))
        }
    }
}
