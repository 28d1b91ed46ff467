/// The alphabets a run or a command can name instead of a charset file, smallest first.
/// `digits` and `ascii` are built in; the others are read from `data/charsets/NAME.txt`
/// (`TextImages.Charset.preset`).
public enum CharsetPreset: String, Sendable, Codable, CaseIterable {
    case digits
    /// The 94 printable ASCII characters without the space, like the original project's.
    case ascii
    /// GB2312 level 1: the 3,755 most common hanzi.
    case gb2312L1 = "gb2312-l1"
    case gb2312
    /// Everything the installed fonts draw from ASCII, GB2312, GBK, Big5, CJK punctuation,
    /// fullwidth forms and kana.
    case full
}
