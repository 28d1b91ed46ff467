// What a checkpoint header may claim. The header decides every allocation that follows (the
// payload, the model, the recogniser's buffers), and its FNV checksum guards against bit rot, not
// against someone who edits the header and recomputes it: so every dimension is bounded, and
// every product checked for overflow, before anything is allocated for it.

/// The bounds `Checkpoint.decode` holds a header to, far above every preset (the largest, `seed`
/// and `paper` with the 28,620-character `full` charset, has about 23 million values). The
/// optimiser state of a version 2 file adds at most two arenas of exactly the parameters' count
/// (`CheckpointTraining.violation`).
public enum CheckpointLimits {
    /// Output channels of one convolution (presets: at most 512).
    public static let maxChannels = 4096
    /// Recurrent hidden size per direction (presets: at most 256).
    public static let maxHidden = 4096
    /// Output classes, blank included (the `full` charset: 28,621).
    public static let maxClasses = 1_000_000
    /// Parameters and running statistics together: 2^28 floats, 1 GiB.
    public static let maxValues = 1 << 28
    /// Pixels along the text: what a run config allows (`image` sides up to 4096).
    public static let maxLength = 4096
    /// Pixels across the text: every model reads lines 32 pixels high (or wide, vertical).
    public static let crossLength = 32

    /// Why `header` claims more than these bounds allow, naming the field; nil when it does not.
    static func violation(_ header: CheckpointHeader) -> String? {
        let c = header.config
        guard c.channels.count == 7 else { return "config.channels has \(c.channels.count) entries, expected 7" }
        guard c.batchNorm.count == 7 else { return "config.batchNorm has \(c.batchNorm.count) entries, expected 7" }
        for (i, channels) in c.channels.enumerated() where !(1...maxChannels).contains(channels) {
            return "config.channels[\(i)] is \(channels), expected 1…\(maxChannels)"
        }
        guard (1...maxHidden).contains(c.hidden) else { return "config.hidden is \(c.hidden), expected 1…\(maxHidden)" }
        guard (2...maxClasses).contains(c.classes) else { return "config.classes is \(c.classes), expected 2…\(maxClasses)" }
        guard let values = valueCount(c), values <= maxValues else {
            return "config (channels \(c.channels), hidden \(c.hidden), classes \(c.classes)) makes more than \(maxValues) values"
        }
        let horizontal = header.direction == .horizontal
        let (alongName, along) = horizontal ? ("imageWidth", header.imageWidth) : ("imageHeight", header.imageHeight)
        let (acrossName, across) = horizontal ? ("imageHeight", header.imageHeight) : ("imageWidth", header.imageWidth)
        guard (16...maxLength).contains(along), along % 4 == 0 else {
            return "\(alongName) is \(along): the text axis of a \(header.direction.rawValue) model is a multiple of 4 in 16…\(maxLength)"
        }
        guard across == crossLength else {
            return "\(acrossName) is \(across): a \(header.direction.rawValue) model reads lines \(crossLength) pixels across"
        }
        guard header.step >= 0 else { return "step is \(header.step), expected 0 or more" }
        return nil
    }

    /// The parameters and running statistics of `config`, nil when counting them overflows.
    /// (Within the bounds above it cannot; the check keeps this safe on its own.)
    static func valueCount(_ config: ModelConfig) -> Int? {
        var total = 0
        for (_, shape) in config.parameterShapes + config.bufferShapes {
            var count = 1
            for dimension in shape {
                guard dimension >= 0 else { return nil }
                let product = count.multipliedReportingOverflow(by: dimension)
                guard !product.overflow else { return nil }
                count = product.partialValue
            }
            let sum = total.addingReportingOverflow(count)
            guard !sum.overflow else { return nil }
            total = sum.partialValue
        }
        return total
    }
}
