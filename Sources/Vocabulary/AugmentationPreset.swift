/// The distributions a synthetic line is drawn from; `TextImages` renders them.
public enum AugmentationPreset: String, Sendable, Codable, CaseIterable {
    /// The original generator's: noise/flat/blend backgrounds, sizes 30/25/20/18 px, lengths
    /// 5..{16,19,24,26}, per-character cross-axis jitter, text grey from RGB 105–255, 50 % inversion.
    case seed
    /// `seed` plus finer size steps, spacing jitter, slight rotation and shear, blur and noise.
    case rich
    /// Lines as a crop of a real page reaches `predict`: the ink fills 40–100 % of the line's
    /// thickness (tight or loose crops), natural length then the edge repeated (predict's own
    /// fitting), flat/gradient/noisy backgrounds in both polarities, stroke weights (outlines
    /// emboldened or thinned), monospaced lines, skew, lost resolution, blur, noise and JPEG
    /// artefacts.
    case real
}
