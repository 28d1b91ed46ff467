// What an application needs besides the graph to read text with the exported model, as ONNX
// metadata properties (string → string).
import Engine
import Foundation

enum ONNXMetadata {
    /// The properties of `checkpoint`'s export; `charset` is a JSON array in class order
    /// (class i + 1 is element i; class 0 is the CTC blank).
    static func properties(of checkpoint: Checkpoint, modelName: String) -> [(key: String, value: String)] {
        let vertical = checkpoint.direction == .vertical
        let trained = vertical ? checkpoint.imageHeight : checkpoint.imageWidth
        let charset = (try? JSONEncoder().encode(checkpoint.charset)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        return [
            ("name", modelName),
            ("preset", checkpoint.preset ?? "custom"),
            ("direction", checkpoint.direction.rawValue),
            ("charset", charset),
            ("blank_index", "0"),
            ("classes", "\(checkpoint.config.classes)"),
            ("input_height", vertical ? "any multiple of 4, at least 16" : "32"),
            ("input_width", vertical ? "32" : "any multiple of 4, at least 16"),
            ("trained_length", "\(trained)"),
            ("normalization", "grey value v in 0…255 (0 black) → v / 127.5 − 1, in [−1, 1]"),
            ("preprocessing", vertical
                ? "grey; scale to 32 px wide keeping the aspect ratio; pad at the bottom by repeating the last row to at least trained_length and a multiple of 4"
                : "grey; scale to 32 px high keeping the aspect ratio; pad on the right by repeating the last column to at least trained_length and a multiple of 4"),
            ("decoding", "CTC greedy: argmax per time step of log_probs, merge repeats, drop blanks (class 0)"),
            ("outputs", "logits and log_probs [time, batch, classes], time = length / 4 − 3"),
        ]
    }
}
