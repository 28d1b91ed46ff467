// The CRNN's configuration and its named presets (specs/model.md). The four preset names
// seed/paper/small/tiny are fixed by the spec; the parameter layout follows from a config alone.

/// Which recurrent head sits on the convolutional stack.
public enum RecurrentHead: String, Sendable, Codable, CaseIterable {
    /// Two bidirectional GRUs, the second starting from the first's final state, then fc.
    case gru
    /// BiLSTM → emb Linear(2H, H) → BiLSTM → fc (meijieru/crnn.pytorch).
    case lstm
}

/// Which image axis becomes the sequence axis.
public enum TextDirection: String, Sendable, Codable, CaseIterable {
    /// Images 32 px high; the width is the sequence axis.
    case horizontal
    /// Images 32 px wide; they are transposed so the height becomes the sequence axis.
    case vertical
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

    public init(channels: [Int], head: RecurrentHead, hidden: Int, classes: Int) {
        precondition(channels.count == 7, "ModelConfig: seven conv channel counts")
        self.channels = channels; self.head = head; self.hidden = hidden; self.classes = classes
    }
}

/// The named presets of specs/model.md.
public enum ModelPreset: String, Sendable, Codable, CaseIterable {
    case seed, paper, small, tiny

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
                               hidden: 96, classes: classes)
        case .tiny:
            return ModelConfig(channels: [8, 16, 24, 24, 32, 32, 32], head: .gru,
                               hidden: 32, classes: classes)
        }
    }
}

extension ModelConfig {
    /// Time steps for an input of `width` pixels along the sequence axis: W/4 − 3.
    public static func timeSteps(width: Int) -> Int { width / 4 - 3 }

    /// Whether `width` is a length the network accepts (a multiple of 4, at least 16).
    public static func isValidWidth(_ width: Int) -> Bool { width >= 16 && width % 4 == 0 }

    /// The parameters in PyTorch `named_parameters()` order of the twin module
    /// (conv1 … conv5, bn5, conv6, bn6, conv7, rnn1, [emb], rnn2, fc).
    public var parameterShapes: [(name: String, shape: [Int])] {
        var list: [(String, [Int])] = []
        var cin = 1
        for (i, cout) in channels.enumerated() {
            let k = i == 6 ? 2 : 3
            list.append(("conv\(i + 1).weight", [cout, cin, k, k]))
            list.append(("conv\(i + 1).bias", [cout]))
            if i == 4 || i == 5 {
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
        ["bn5", "bn6"].flatMap { bn -> [(String, [Int])] in
            let c = channels[bn == "bn5" ? 4 : 5]
            return [("\(bn).running_mean", [c]), ("\(bn).running_var", [c])]
        }
    }
}
