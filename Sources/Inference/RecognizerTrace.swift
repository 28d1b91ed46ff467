// One image's model input and raw output, for checking another runtime against ours
// (`crnnctl predict --dump`, tools/onnx-check).
import Engine
import TextImages

extension Recognizer {
    /// What the model saw and said for one image.
    public struct Trace {
        /// The fitted image in [-1, 1]: shape [1, 1, 32, W] (vertical: [1, 1, H, 32]).
        public let input: [Float]
        public let inputShape: [Int]
        /// Raw output-layer values: shape [T, 1, K].
        public let logits: [Float]
        public let logitsShape: [Int]
    }

    /// `image` fitted and run alone (batch 1), as `read` runs it.
    public func trace(_ image: GreyImage) throws -> Trace {
        let fitted = fit(image)
        let input = fitted.normalized()
        let logits = try model.logits(images: input, batch: 1)
        return Trace(input: input, inputShape: [1, 1, fitted.height, fitted.width],
                     logits: logits.values, logitsShape: [logits.T, 1, logits.K])
    }
}
