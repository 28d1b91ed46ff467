// The names every module shares: a run config says them, the engine, the renderer, the wire and
// the parameter server act on them. Each is defined here once; the modules that give a name its
// behaviour extend it (Engine: a preset's layout; TextImages: an augmentation's distributions).

/// Which image axis carries the text.
public enum TextDirection: String, Sendable, Codable, CaseIterable {
    /// Lines 32 px high; the width is the sequence axis.
    case horizontal
    /// Upright characters stacked top to bottom in lines 32 px wide; the height is the sequence
    /// axis (the engine transposes the image).
    case vertical
}
