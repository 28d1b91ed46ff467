// The CRNN's configuration and the layouts of its named presets (docs/model.md); the
// parameter layout follows from a config alone.

/// Which recurrent head sits on the convolutional stack.
public enum RecurrentHead: String, Sendable, Codable, CaseIterable {
    /// Two bidirectional GRUs, the second starting from the first's final state, then fc.
    case gru
    /// BiLSTM → emb Linear(2H, H) → BiLSTM → fc (meijieru/crnn.pytorch).
    case lstm
}

/// Everything that fixes the network's shapes.
public struct ModelConfig: Sendable, Codable, Equatable {
    /// Output channels of conv1 … conv7.
    public var channels: [Int]
    public var head: RecurrentHead
    /// Recurrent hidden size per direction.
    public var hidden: Int
    /// Output classes including the blank (class 0).
    public var classes: Int
    /// Which of conv1 … conv7 a batch norm follows. The original layout (and every checkpoint
    /// written before this field existed) has one after conv5 and conv6 only.
    public var batchNorm: [Bool]

    /// Batch norm after conv5 and conv6: the original project's layout.
    public static let originalBatchNorm = [false, false, false, false, true, true, false]

    public init(channels: [Int], head: RecurrentHead, hidden: Int, classes: Int,
                batchNorm: [Bool] = ModelConfig.originalBatchNorm) {
        precondition(channels.count == 7, "ModelConfig: seven conv channel counts")
        precondition(batchNorm.count == 7, "ModelConfig: seven batch-norm flags")
        self.channels = channels; self.head = head; self.hidden = hidden; self.classes = classes
        self.batchNorm = batchNorm
    }

    enum CodingKeys: String, CodingKey { case channels, head, hidden, classes, batchNorm }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        channels = try c.decode([Int].self, forKey: .channels)
        head = try c.decode(RecurrentHead.self, forKey: .head)
        hidden = try c.decode(Int.self, forKey: .hidden)
        classes = try c.decode(Int.self, forKey: .classes)
        // Counts are checked by whoever decodes (CheckpointLimits names the field); a missing
        // field is the original layout.
        batchNorm = try c.decodeIfPresent([Bool].self, forKey: .batchNorm) ?? Self.originalBatchNorm
    }

    /// The names of the batch norms, `bnI` after convI (1-based).
    public var batchNormNames: [String] {
        batchNorm.enumerated().filter(\.element).map { "bn\($0.offset + 1)" }
    }
}

/// The layouts of the named presets (the names: `Vocabulary.ModelPreset`).
extension ModelPreset {
    /// The preset's layout with `classes` output classes (blank included).
    public func config(classes: Int) -> ModelConfig {
        switch self {
        case .seed:
            return ModelConfig(channels: [64, 128, 256, 256, 512, 512, 512], head: .gru,
                               hidden: 256, classes: classes)
        case .paper:
            return ModelConfig(channels: [64, 128, 256, 256, 512, 512, 512], head: .lstm,
                               hidden: 256, classes: classes)
        case .small:
            return ModelConfig(channels: [32, 64, 96, 96, 128, 128, 128], head: .gru,
                               hidden: 96, classes: classes, batchNorm: Array(repeating: true, count: 7))
        case .mini:
            // Between tiny and small: twice tiny's channels, about 2.5× its cost per sample.
            return ModelConfig(channels: [16, 32, 48, 48, 64, 64, 64], head: .gru,
                               hidden: 48, classes: classes, batchNorm: Array(repeating: true, count: 7))
        case .tiny:
            // Batch norm after every convolution (small too): with only the original's two, the
            // early layers start slowly and a 95-class run sat at loss ≈ ln K for 26k samples
            // (BENCHMARKS.md, learning curves).
            return ModelConfig(channels: [8, 16, 24, 24, 32, 32, 32], head: .gru,
                               hidden: 32, classes: classes, batchNorm: Array(repeating: true, count: 7))
        }
    }
}

extension ModelConfig {
    /// Time steps for an input of `width` pixels along the sequence axis: W/4 − 3.
    public static func timeSteps(width: Int) -> Int { width / 4 - 3 }

    /// Whether `width` is a length the network accepts (a multiple of 4, at least 16).
    public static func isValidWidth(_ width: Int) -> Bool { width >= 16 && width % 4 == 0 }

    /// The parameters in PyTorch `named_parameters()` order of the twin module
    /// (conv1, [bn1], … conv7, [bn7], rnn1, [emb], rnn2, fc; the original has bn5 and bn6 only).
    public var parameterShapes: [(name: String, shape: [Int])] {
        var list: [(String, [Int])] = []
        var cin = 1
        for (i, cout) in channels.enumerated() {
            let k = i == 6 ? 2 : 3
            list.append(("conv\(i + 1).weight", [cout, cin, k, k]))
            list.append(("conv\(i + 1).bias", [cout]))
            if batchNorm[i] {
                list.append(("bn\(i + 1).weight", [cout]))
                list.append(("bn\(i + 1).bias", [cout]))
            }
            cin = cout
        }
        let gates = head == .gru ? 3 : 4, h = hidden
        func recurrent(_ name: String, input: Int) {
            for suffix in ["", "_reverse"] {
                list.append(("\(name).weight_ih_l0\(suffix)", [gates * h, input]))
                list.append(("\(name).weight_hh_l0\(suffix)", [gates * h, h]))
                list.append(("\(name).bias_ih_l0\(suffix)", [gates * h]))
                list.append(("\(name).bias_hh_l0\(suffix)", [gates * h]))
            }
        }
        recurrent("rnn1", input: channels[6])
        if head == .lstm {
            list.append(("emb.weight", [h, 2 * h]))
            list.append(("emb.bias", [h]))
            recurrent("rnn2", input: h)
        } else {
            recurrent("rnn2", input: 2 * h)
        }
        list.append(("fc.weight", [classes, 2 * h]))
        list.append(("fc.bias", [classes]))
        return list
    }

    /// The batch-norm running statistics, kept apart from the trainable parameters.
    public var bufferShapes: [(name: String, shape: [Int])] {
        batchNorm.indices.filter { batchNorm[$0] }.flatMap { i -> [(String, [Int])] in
            [("bn\(i + 1).running_mean", [channels[i]]), ("bn\(i + 1).running_var", [channels[i]])]
        }
    }
}
