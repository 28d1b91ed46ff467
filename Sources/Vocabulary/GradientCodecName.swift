/// How a worker's gradient travels to the parameter server; the raw value is the name on the
/// wire and in run configs. `Wire.GradientCodecs` builds the codec of each.
public enum GradientCodecName: String, Sendable, Codable, CaseIterable {
    /// Lossless: 32-bit floats, zstd.
    case fp32Zstd = "fp32+zstd"
    /// Half precision (IEEE fp16 with a per-tensor scale), zstd.
    case fp16Zstd = "fp16+zstd"
    /// bfloat16 (the top half of each float), zstd.
    case bf16Zstd = "bf16+zstd"
    /// The largest k of the values as fp16 with their indices, the rest kept in the worker's
    /// error-feedback residual.
    case topkFp16Zstd = "topk+fp16+zstd"
    /// Top-k with bfloat16 values.
    case topkBf16Zstd = "topk+bf16+zstd"
}

extension GradientCodecName {
    /// Whether the codec sends only the largest fraction k of the values.
    public var keepsTopK: Bool { self == .topkFp16Zstd || self == .topkBf16Zstd }
}
