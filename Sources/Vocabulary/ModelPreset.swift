/// The network layouts a run can name (docs/model.md); `Engine` gives each its layout
/// (`ModelPreset.config(classes:)`).
public enum ModelPreset: String, Sendable, Codable, CaseIterable {
    /// The original project's layout: VGG-style convolutions, two bidirectional GRU layers.
    case seed
    /// The CRNN paper: the same convolutions, two BiLSTM(256) layers.
    case paper
    /// Scaled-down presets for shipped models, the demo and tests (batch norm after every
    /// convolution).
    case small, mini, tiny
}
