// Real gradients of a model for the codec and parameter-server benchmarks: training steps on
// rendered text lines, read out as the wire arena a worker pushes.
//
// Shapes: images [N, H, W] floats in [-1, 1]; wire arena [P + B] = d loss / d θ (P values)
// followed by the change the step's forward made to the BN running statistics (B values).
import Coordinator
import Engine
import Foundation
import TextImages

/// Training-step gradients of a real model, for benchmarks.
///
/// The images are real rendered lines (the renderer's charset, e.g. `gb2312`); their labels are
/// spread over `1..<classes` by a fixed hash, so a model with more classes than the rendering
/// charset (the seed preset's 30,657) gets CTC targets scattered over its whole output layer,
/// as training on a large alphabet does. Which class a glyph maps to does not matter for the
/// gradient's statistics; that the pixels are real text does.
public enum BenchmarkGradient {
    /// The model class a rendered class `c` (1-based) stands for: a fixed hash into `1..<classes`.
    public static func modelClass(_ c: Int32, classes: Int) -> Int {
        precondition(classes >= 2, "a model needs the blank and at least one class")
        let spread = (UInt64(UInt32(bitPattern: c)) &* 0x9E37_79B9_7F4A_7C15) >> 11
        return 1 + Int(spread % UInt64(classes - 1))
    }

    /// Renders samples `first ..< first + count` of stream `seed`, labels mapped to `classes`.
    public static func batch(source: SyntheticSource, classes: Int, count: Int, seed: UInt64 = 7,
                             first: UInt64 = 0) -> (images: [Float], targets: [[Int]]) {
        var images = [Float](repeating: 0, count: count * source.width * source.height)
        let labels = images.withUnsafeMutableBufferPointer {
            source.renderBatch(seed: seed, indices: first..<first + UInt64(count), into: $0.baseAddress!)
        }
        return (images, labels.map { $0.map { modelClass($0, classes: classes) } })
    }

    /// One training step of `model` on the batch; returns the wire arena a worker would push
    /// (gradient, then the running statistics' change) and the loss.
    /// - Throws: the engine's input or CTC errors for a batch that does not fit the model.
    public static func step(model: CRNNModel, images: [Float], targets: [[Int]]) throws -> (wire: [Float], loss: Float) {
        let before = model.buffers.values
        let loss = try model.trainStep(images: images, targets: targets)
        var wire = model.gradients.values
        let after = model.buffers.values
        wire.reserveCapacity(wire.count + after.count)
        for i in 0..<after.count { wire.append(after[i] - before[i]) }
        return (wire, loss)
    }

    /// The tensor sizes of `model`'s wire arena (parameters, then running statistics).
    public static func layout(of model: CRNNModel) -> [Int] {
        ParameterServerCore.wireLayout(of: model)
    }
}
