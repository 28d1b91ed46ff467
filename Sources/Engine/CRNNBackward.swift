// The CRNN's backward pass (the forward's layer list reversed) and the public training and
// inference entry points.
//
// Gradients of the convolutional stack ping-pong between two workspace buffers (gradA, gradB):
// each layer reads d output from one and accumulates d input into the other, cleared first.
// ReLU masks its gradient in place.
import Foundation

/// Logits of one batch, time-major.
public struct Logits: Sendable {
    public var T: Int, N: Int, K: Int
    /// [T, N, K] row-major.
    public var values: [Float]
}

/// Why a batch cannot go through the model; the message names the field and the reason.
public enum ModelInputError: Error, Equatable, CustomStringConvertible {
    case emptyBatch
    case imageSize(count: Int, batch: Int)
    case invalidLength(Int)

    public var description: String {
        switch self {
        case .emptyBatch: return "images: the batch is empty"
        case let .imageSize(count, batch):
            return "images: \(count) floats is not \(batch) images of 32 × a multiple of 4 pixels"
        case let .invalidLength(w):
            return "images: length \(w) along the sequence axis must be a multiple of 4 and at least 16"
        }
    }
}

extension CRNNModel {
    /// Sequence-axis length of the images in a flat buffer of `count` floats holding `batch` images.
    func imageLength(count: Int, batch: Int) throws -> Int {
        guard batch > 0 else { throw ModelInputError.emptyBatch }
        guard count % (32 * batch) == 0 else { throw ModelInputError.imageSize(count: count, batch: batch) }
        let w = count / (32 * batch)
        guard ModelConfig.isValidWidth(w) else { throw ModelInputError.invalidLength(w) }
        return w
    }

    /// One training step: forward in training mode (updating BN running statistics), CTC loss
    /// (PyTorch 'mean'), backward. The gradient arena is cleared and then holds d loss / d θ.
    /// - Parameters:
    ///   - images: `targets.count` images [N, 32, W] (or [N, W, 32] for a vertical model), in [−1, 1].
    ///   - targets: class ids (1..<K) of each image's text.
    /// - Returns: the loss.
    /// - Throws: `ModelInputError` for a malformed batch, `CTCError` for bad labels.
    @discardableResult
    public func trainStep(images: [Float], targets: [[Int]]) throws -> Float {
        let n = targets.count
        let w = try imageLength(count: images.count, batch: n)
        let ws = workspace(batch: n, length: w)
        if parametersFrozen { parametersFrozen = false }  // the step is about to change them
        images.withUnsafeBufferPointer { loadInput($0.baseAddress!, ws) }
        forward(ws, training: true)
        let loss = try ctc(ws, targets: targets)
        gradients.zero()
        backward(ws)
        return loss
    }

    /// Eval-mode logits (BN running statistics, nothing updated).
    public func logits(images: [Float], batch: Int) throws -> Logits {
        let w = try imageLength(count: images.count, batch: batch)
        let ws = workspace(batch: batch, length: w)
        images.withUnsafeBufferPointer { loadInput($0.baseAddress!, ws) }
        forward(ws, training: false)
        let count = ws.T * batch * config.classes
        return Logits(T: ws.T, N: batch, K: config.classes,
                      values: Array(UnsafeBufferPointer(start: ws.logits, count: count)))
    }

    /// Training-mode logits of the last forward (for tests against a reference).
    func lastLogits() -> [Float] {
        guard let ws = workspace else { return [] }
        return Array(UnsafeBufferPointer(start: ws.logits, count: ws.T * ws.batch * config.classes))
    }

    /// Loss of the logits in `ws` and d loss / d logits into `ws.dlogits`.
    func ctc(_ ws: Workspace, targets: [[Int]]) throws -> Float {
        let longest = targets.map(\.count).max() ?? 0
        if ctcWorkspace == nil || ctcWorkspace!.maxT < ws.T || ctcWorkspace!.maxTargetLength < longest
            || ctcWorkspace!.threads < threads {
            ctcWorkspace = CTCWorkspace(maxT: ws.T, maxTargetLength: max(longest, 32), threads: threads)
        }
        let flat = targets.flatMap { $0.map { Int32(truncatingIfNeeded: $0) } }
        let lengths = targets.map { Int32($0.count) }
        let inputLengths = [Int32](repeating: Int32(ws.T), count: ws.batch)
        if losses.count != ws.batch { losses = [Float](repeating: 0, count: ws.batch) }
        return try ctcLoss(dlogits: ws.dlogits, losses: &losses, logits: ws.logits, targets: flat,
                           targetLengths: lengths, inputLengths: inputLengths,
                           T: ws.T, N: ws.batch, K: config.classes, zeroInfinity: zeroInfinity,
                           workspace: ctcWorkspace!, threads: threads)
    }

    // MARK: - Backward

    /// Accumulates d loss / d θ into `gradients` from `ws.dlogits`; needs the training forward's
    /// activations in `ws`.
    func backward(_ ws: Workspace) {
        switch config.head {
        case .gru: gruHeadBackward(ws)
        case .lstm: lstmHeadBackward(ws)
        }
        var (gA, gB) = (ws.gradA, ws.gradB)
        sequenceToConv(gA, ws.dseq, c: config.channels[6], n: ws.batch, t: ws.T)
        // The forward's layers reversed; gA holds d loss / d (layer i's output) on entry.
        for i in (0..<7).reversed() {
            if let k = Self.poolAfter[i] {
                reluBackward(gA, y: ws.poolOut[k], count: ws.pool[k].outputCount)
                poolBackward(k, dx: gB, dy: gA, ws)
                swap(&gA, &gB)
            } else {
                reluBackward(gA, y: ws.bnOut[i] ?? ws.convOut[i], count: ws.conv[i].outputCount)
            }
            if ws.bnOut[i] != nil {
                batchNormBackward(i, dx: gB, dy: gA, x: ws.convOut[i], ws)
                swap(&gA, &gB)
            }
            convBackward(i, dx: i == 0 ? nil : gB, dy: gA, x: i == 0 ? ws.input : layerOutput(i - 1, ws), ws)
            swap(&gA, &gB)
        }
    }

    func convBackward(_ i: Int, dx: UnsafeMutablePointer<Float>?, dy: UnsafePointer<Float>,
                      x: UnsafePointer<Float>, _ ws: Workspace) {
        let d = ws.conv[i]
        if let dx { clear(dx, d.inputCount) }
        if let u = ws.winogradU[i] {
            winogradBackward(dx: dx, dweight: g.convWeight[i], dbias: g.convBias[i], dy: dy, x: x, d,
                             u: u, du: ws.winogradDU, scratch: ws.col, capacity: ws.colCapacity)
            return
        }
        conv2DBackward(dx: dx, dweight: g.convWeight[i], dbias: g.convBias[i], dy: dy, x: x,
                       weight: p.convWeight[i], d, col: ws.col, colCapacity: ws.colCapacity)
    }

    func poolBackward(_ i: Int, dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, _ ws: Workspace) {
        clear(dx, ws.pool[i].inputCount)
        maxPool2DBackward(dx: dx, dy: dy, indices: ws.poolIndex[i], ws.pool[i])
    }

    func batchNormBackward(_ i: Int, dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>,
                           x: UnsafePointer<Float>, _ ws: Workspace) {
        let d = ws.conv[i]
        clear(dx, d.outputCount)
        Engine.batchNormBackward(dx: dx, dgamma: g.bnWeight[i]!, dbeta: g.bnBias[i]!, dy: dy, x: x,
                                 gamma: p.bnWeight[i]!, mean: ws.bnMean[i]!, invStd: ws.bnInvStd[i]!,
                                 c: d.o, m: d.n * d.ho * d.wo)
    }

    func gruHeadBackward(_ ws: Workspace) {
        let (t, n, h, c7, k) = (ws.T, ws.batch, config.hidden, config.channels[6], config.classes)
        clear(ws.dy2, t * n * 2 * h)
        linearBackward(dx: ws.dy2, dWeight: g.fcWeight, dBias: g.fcBias, dy: ws.dlogits, x: ws.y2,
                       weight: p.fcWeight, rows: t * n, I: 2 * h, O: k)
        clear(ws.dy1, t * n * 2 * h); clear(ws.dhN1, 2 * n * h)
        bidirectionalGRUBackward(
            dx: ws.dy1, dh0: ws.dhN1,
            forwardGradients: GRUGradients(g.rnn[2], I: 2 * h, H: h),
            reverseGradients: GRUGradients(g.rnn[3], I: 2 * h, H: h),
            dy: ws.dy2, dhN: nil, x: ws.y1, h0: ws.hN1,
            forward: GRUWeights(p.rnn[2], I: 2 * h, H: h), reverse: GRUWeights(p.rnn[3], I: 2 * h, H: h),
            cache: BidirectionalGRUCache(ws.rnnCache2, T: t, N: n, H: h), T: t, N: n, I: 2 * h, H: h)
        clear(ws.dseq, t * n * c7)
        bidirectionalGRUBackward(
            dx: ws.dseq, dh0: nil,
            forwardGradients: GRUGradients(g.rnn[0], I: c7, H: h),
            reverseGradients: GRUGradients(g.rnn[1], I: c7, H: h),
            dy: ws.dy1, dhN: ws.dhN1, x: ws.seq, h0: nil,
            forward: GRUWeights(p.rnn[0], I: c7, H: h), reverse: GRUWeights(p.rnn[1], I: c7, H: h),
            cache: BidirectionalGRUCache(ws.rnnCache1, T: t, N: n, H: h), T: t, N: n, I: c7, H: h)
    }

    func lstmHeadBackward(_ ws: Workspace) {
        let (t, n, h, c7, k) = (ws.T, ws.batch, config.hidden, config.channels[6], config.classes)
        clear(ws.dy2, t * n * 2 * h)
        linearBackward(dx: ws.dy2, dWeight: g.fcWeight, dBias: g.fcBias, dy: ws.dlogits, x: ws.y2,
                       weight: p.fcWeight, rows: t * n, I: 2 * h, O: k)
        clear(ws.demb, t * n * h)
        bidirectionalLSTMBackward(
            dx: ws.demb,
            forwardGradients: LSTMGradients(g.rnn[2], I: h, H: h),
            reverseGradients: LSTMGradients(g.rnn[3], I: h, H: h),
            dy: ws.dy2, x: ws.emb,
            forward: LSTMWeights(p.rnn[2], I: h, H: h), reverse: LSTMWeights(p.rnn[3], I: h, H: h),
            cache: BidirectionalLSTMCache(ws.rnnCache2, T: t, N: n, H: h), T: t, N: n, I: h, H: h)
        clear(ws.dy1, t * n * 2 * h)
        linearBackward(dx: ws.dy1, dWeight: g.embWeight, dBias: g.embBias, dy: ws.demb, x: ws.y1,
                       weight: p.embWeight!, rows: t * n, I: 2 * h, O: h)
        clear(ws.dseq, t * n * c7)
        bidirectionalLSTMBackward(
            dx: ws.dseq,
            forwardGradients: LSTMGradients(g.rnn[0], I: c7, H: h),
            reverseGradients: LSTMGradients(g.rnn[1], I: c7, H: h),
            dy: ws.dy1, x: ws.seq,
            forward: LSTMWeights(p.rnn[0], I: c7, H: h), reverse: LSTMWeights(p.rnn[1], I: c7, H: h),
            cache: BidirectionalLSTMCache(ws.rnnCache1, T: t, N: n, H: h), T: t, N: n, I: c7, H: h)
    }
}

/// Zeroes `count` floats, in parallel chunks for the large convolutional gradients.
func clear(_ x: UnsafeMutablePointer<Float>, _ count: Int) {
    let chunk = 1 << 18
    parallelFor((count + chunk - 1) / chunk) { part in
        let lo = part * chunk
        (x + lo).update(repeating: 0, count: min(chunk, count - lo))
    }
}
