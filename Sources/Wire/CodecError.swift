/// Why a gradient or parameter payload could not be encoded or decoded.
public enum CodecError: Error, Equatable, CustomStringConvertible {
    /// The codec name is not one of `GradientCodecs.names`.
    case unknownCodec(name: String, valid: [String])
    /// A codec parameter is out of range (for example k outside (0, 1]).
    case invalidParameter(String)
    /// The gradient holds an infinity or NaN: a worker must never push one.
    case nonFinite(tensor: Int, index: Int)
    /// The payload is malformed: truncated, inconsistent, or fails a bound check.
    case corrupt(String)
    /// The payload describes a different number of values than the receiving buffer holds.
    case sizeMismatch(expected: Int, found: Int)

    public var description: String {
        switch self {
        case .unknownCodec(let name, let valid):
            return "unknown gradient codec '\(name)'; valid codecs: \(valid.joined(separator: ", "))"
        case .invalidParameter(let why): return "invalid codec parameter: \(why)"
        case .nonFinite(let tensor, let index):
            return "gradient value \(index) of tensor \(tensor) is not finite"
        case .corrupt(let why): return "corrupt codec payload: \(why)"
        case .sizeMismatch(let expected, let found):
            return "codec payload holds \(found) values, the receiver expects \(expected)"
        }
    }
}
