import Crypto
import Foundation

/// The shared secret of a cluster, from `--token-file` or `CRNN_TOKEN`.
public struct SharedToken: Sendable {
    let bytes: [UInt8]

    /// - Throws: `TokenError.empty` for an empty token (after trimming whitespace).
    public init(_ text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw TokenError.empty(source: "the token") }
        bytes = Array(trimmed.utf8)
    }

    /// Whether `candidate` is this token, compared in time independent of where they differ
    /// (for tokens presented over HTTP).
    public func matches(_ candidate: String) -> Bool {
        let other = Array(candidate.utf8)
        var difference = UInt8(other.count == bytes.count ? 0 : 1)
        for i in 0..<bytes.count { difference |= bytes[i] ^ (i < other.count ? other[i] : 0) }
        return difference == 0
    }

    /// Reads the token from a file (surrounding whitespace, such as a final newline, is ignored).
    /// Like ssh with a private key, refuses a file that its group or others may access: a token
    /// anyone on the machine can read is no secret, and saying so beats accepting it silently.
    /// - Throws: `TokenError` naming the file (and its mode, when that is the problem).
    public init(contentsOfFile path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw TokenError.unreadable(path: path) }
        let mode = Int(info.st_mode) & 0o777
        guard mode & 0o077 == 0 else { throw TokenError.tooOpen(path: path, mode: mode) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenError.unreadable(path: path)
        }
        guard let text = String(data: data, encoding: .utf8) else { throw TokenError.notUTF8(path: path) }
        do { try self.init(text) } catch { throw TokenError.empty(source: "token file \(path)") }
    }

    /// The token from `--token-file` when given, else from the `CRNN_TOKEN` environment variable.
    /// - Throws: `TokenError.missing` when neither is set.
    public static func resolve(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SharedToken {
        if let file { return try SharedToken(contentsOfFile: file) }
        guard let text = environment["CRNN_TOKEN"] else { throw TokenError.missing }
        do { return try SharedToken(text) } catch { throw TokenError.empty(source: "CRNN_TOKEN") }
    }
}

/// Why no token could be had.
public enum TokenError: Error, Equatable, CustomStringConvertible {
    case missing
    case unreadable(path: String)
    case notUTF8(path: String)
    case empty(source: String)
    /// Its group or others may read (or write) it; `mode` is the permission bits.
    case tooOpen(path: String, mode: Int)

    public var description: String {
        switch self {
        case let .tooOpen(path, mode):
            let octal = String(mode, radix: 8)
            return "token file \(path) has mode \(String(repeating: "0", count: max(0, 4 - octal.count)) + octal): "
                + "it must not be accessible by group or others (chmod 600 \(path))"
        case .missing: return "no token: pass --token-file or set CRNN_TOKEN"
        case .unreadable(let path): return "cannot read token file \(path)"
        case .notUTF8(let path): return "token file \(path) is not UTF-8 text"
        case .empty(let source): return "\(source) is empty"
        }
    }
}

/// The challenge–response computations of the handshake.
public enum HandshakeAuth {
    /// A fresh 32-byte nonce from the system's cryptographic generator.
    public static func makeNonce() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<Message.Limits.nonce).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// HMAC-SHA256(token, nonce ‖ client name): proves the token without sending it, bound
    /// to this connection's nonce and to the name the client announced.
    public static func mac(token: SharedToken, nonce: [UInt8], clientName: String) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: token.bytes))
        hmac.update(data: nonce)
        hmac.update(data: Array(clientName.utf8))
        return Array(hmac.finalize())
    }

    /// Compares two byte strings in time that depends only on their lengths, so a timing
    /// side channel does not reveal how many leading MAC bytes were right.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
