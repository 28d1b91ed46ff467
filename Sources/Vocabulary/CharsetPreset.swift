/// The alphabets a run or a command can name instead of a charset file, smallest first.
/// `digits` and `ascii` are built in; the others are read from `data/charsets/NAME.txt`
/// (`TextImages.Charset.preset`).
public enum CharsetPreset: String, Sendable, Codable, CaseIterable {
    case digits
    /// The 94 printable ASCII characters without the space, like the original project's.
    case ascii
    /// Printable ASCII with the space (95 characters): lines of words, as Latin text is written.
    case latin
    /// GB2312 level 1: the 3,755 most common hanzi.
    case gb2312L1 = "gb2312-l1"
    case gb2312
    /// Everything the installed fonts draw from ASCII, GB2312, GBK, Big5, CJK punctuation,
    /// fullwidth forms and kana.
    case full
}

extension CharsetPreset {
    /// The alphabet of a built-in preset (class i + 1 = characters[i]); nil for the presets read
    /// from `data/charsets/`.
    public var builtInCharacters: [String]? {
        switch self {
        case .digits: return (0x30...0x39).map { String(UnicodeScalar(UInt8($0))) }
        // Printable ASCII without the space, as in the original project.
        case .ascii: return (0x21...0x7E).map { String(UnicodeScalar(UInt8($0))) }
        case .latin: return (0x20...0x7E).map { String(UnicodeScalar(UInt8($0))) }
        case .gb2312L1, .gb2312, .full: return nil
        }
    }
}
