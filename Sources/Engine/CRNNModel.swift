// The CRNN: seven convolutions (batch norm after those `ModelConfig.batchNorm` names; the original
// layout has it after conv5 and conv6), a bidirectional GRU or
// LSTM head and a Linear output layer, trained with CTC. Forward is the straight list of layer
// calls; backward is the same list reversed (CRNNBackward.swift).
//
// Shapes: images [N, 32, W] (horizontal) or [N, W, 32] (vertical, transposed on the way in);
// logits [T, N, K] with T = W/4 − 3. Internals in Workspace.swift.
import Foundation

/// A CTC-trained text recogniser with its parameters, gradients and BN running statistics.
///
/// One model runs one batch at a time: every call reuses the same preallocated workspace, so a
/// model is not to be shared between threads (use one model per thread).
public final class CRNNModel {
    public let config: ModelConfig
    public let direction: TextDirection
    /// Trainable parameters, `config.parameterShapes` order.
    public let parameters: ParameterArena
    /// d loss / d parameters of the last `trainStep`, same layout.
    public let gradients: ParameterArena
    /// BN running statistics (`config.bufferShapes`), updated by every training forward.
    public let buffers: ParameterArena
    /// CTC's zero_infinity: impossible alignments contribute 0 instead of +∞.
    public var zeroInfinity = false
    /// 3×3 convolutions with at least this many input channels run by Winograd F(2×2, 3×3)
    /// (2.25× fewer multiply-adds); Int.max turns it off.
    public var winogradMinimumChannels = 16
    /// Threads for OpenBLAS and the engine's own loops. The setting is process-wide (OpenBLAS has
    /// one pool): creating a model or setting this applies it to every model in the process.
    public var threads: Int { didSet { EngineThreads.set(threads) } }
    /// Promises that the parameters will not change (a model that only reads, as a `Recognizer`'s):
    /// eval forwards then transform each Winograd filter once instead of at every call (at batch
    /// 1 that transform was 18 % of reading a line). A training step clears it; set it again
    /// after loading other parameters.
    public var parametersFrozen = false { didSet { frozenFilters = Array(repeating: nil, count: 7) } }
    /// Conv i's transformed filters [16, O, C] while `parametersFrozen`.
    var frozenFilters: [[Float]?] = Array(repeating: nil, count: 7)

    let p: LayerPointers, g: LayerPointers
    var workspace: Workspace?
    var ctcWorkspace: CTCWorkspace?
    var losses: [Float] = []

    /// A model with PyTorch-like default initialisation drawn from `seed`.
    public init(config: ModelConfig, direction: TextDirection = .horizontal, seed: UInt64 = 0,
                threads: Int = 1) {
        self.config = config; self.direction = direction; self.threads = max(1, threads)
        parameters = ParameterArena(layout: ArenaLayout(config.parameterShapes))
        gradients = ParameterArena(layout: parameters.layout)
        buffers = ParameterArena(layout: ArenaLayout(config.bufferShapes))
        config.initialise(parameters: parameters, buffers: buffers, seed: seed)
        p = LayerPointers(parameters, buffers: buffers, config: config)
        g = LayerPointers(gradients, buffers: nil, config: config)
        EngineThreads.set(self.threads)
    }

    public var parameterCount: Int { parameters.count }

    /// The workspace for `batch` images of `length` pixels along the sequence axis.
    func workspace(batch: Int, length: Int) -> Workspace {
        if let ws = workspace, ws.batch == batch, ws.width == length,
           ws.winogradMinimumChannels == winogradMinimumChannels { return ws }
        workspace = nil  // release the old buffers before allocating the new ones
        let ws = Workspace(config: config, batch: batch, width: length,
                           winogradMinimumChannels: winogradMinimumChannels)
        workspace = ws
        return ws
    }

    /// Copies the images into the workspace input, transposing vertical ones.
    func loadInput(_ images: UnsafePointer<Float>, _ ws: Workspace) {
        let n = ws.batch, w = ws.width, plane = 32 * w
        switch direction {
        case .horizontal:
            ws.input.update(from: images, count: n * plane)
        case .vertical:
            // Image (y, x) of a W×32 image becomes (x, y) of a 32×W one.
            parallelFor(n) { s in
                let src = images + s * plane, dst = ws.input + s * plane
                for y in 0..<w { for x in 0..<32 { dst[x * w + y] = src[y * 32 + x] } }
            }
        }
    }

    // MARK: - Forward

    /// Runs the network on `ws.input`, leaving logits [T, N, K] in `ws.logits`. Training mode
    /// uses batch statistics (and updates the running ones); eval mode the running statistics.
    func forward(_ ws: Workspace, training: Bool) {
        // conv → [BN] → (pool → ReLU | ReLU) seven times. ReLU after a max pool equals the pool
        // after ReLU (max is monotone), on 2–4× fewer values.
        var x = UnsafePointer(ws.input)
        for i in 0..<7 {
            conv(i, x, ws.convOut[i], ws, training: training)
            var y = ws.convOut[i]
            if let out = ws.bnOut[i] {
                batchNorm(i, ws.convOut[i], out, ws, training: training)
                y = out
            }
            if let k = Self.poolAfter[i] {
                if training {
                    maxPool(k, y, ws.poolOut[k], ws)
                } else {
                    maxPool2x2ValuesForward(ws.poolOut[k], y, ws.pool[k])  // no backward: no argmax
                }
                relu(ws.poolOut[k], ws.pool[k].outputCount)
            } else {
                relu(y, ws.conv[i].outputCount)
            }
            x = UnsafePointer(layerOutput(i, ws))
        }
        convToSequence(ws.seq, x, c: config.channels[6], n: ws.batch, t: ws.T)
        switch config.head {
        case .gru: gruHeadForward(ws)
        case .lstm: lstmHeadForward(ws)
        }
    }

    /// The pool (0…3) that follows conv i, if any: after conv1, conv2, conv4 and conv6.
    static let poolAfter: [Int?] = [0, 1, nil, 2, nil, 3, nil]

    /// The convolutions' and pools' sizes for `batch` lines of `length` pixels (the layer table of
    /// docs/model.md) and, per conv, the pool that follows it: what the forward runs, for exporters
    /// (kernels, paddings and strides do not depend on the batch or the length).
    public static func layers(config: ModelConfig, batch: Int = 1, length: Int = 64)
        -> (conv: [ConvDims], pool: [PoolDims], poolAfter: [Int?]) {
        let dims = Workspace.dims(config: config, batch: batch, width: length)
        return (dims.conv, dims.pool, poolAfter)
    }

    /// Conv i's layer output after BN, ReLU and pool: the next layer's input.
    func layerOutput(_ i: Int, _ ws: Workspace) -> UnsafeMutablePointer<Float> {
        if let k = Self.poolAfter[i] { return ws.poolOut[k] }
        return ws.bnOut[i] ?? ws.convOut[i]
    }

    func conv(_ i: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ ws: Workspace,
              training: Bool) {
        if let u = ws.winogradU[i] {
            if parametersFrozen && !training {
                // Transformed once for all eval forwards (no backward needs ws.winogradU here).
                let d = ws.conv[i]
                if frozenFilters[i] == nil {
                    var filters = [Float](repeating: 0, count: 16 * d.o * d.c)
                    filters.withUnsafeMutableBufferPointer { winogradFilterTransform($0.baseAddress!, p.convWeight[i], o: d.o, c: d.c) }
                    frozenFilters[i] = filters
                }
                frozenFilters[i]!.withUnsafeMutableBufferPointer {
                    winogradForward(y, x, p.convWeight[i], p.convBias[i], d, u: $0.baseAddress!,
                                    scratch: ws.col, capacity: ws.colCapacity, transformFilters: false)
                }
                return
            }
            winogradForward(y, x, p.convWeight[i], p.convBias[i], ws.conv[i], u: u,
                            scratch: ws.col, capacity: ws.colCapacity)
            return
        }
        conv2DForward(y, x, p.convWeight[i], p.convBias[i], ws.conv[i],
                      col: ws.col, colCapacity: ws.colCapacity)
    }

    func relu(_ x: UnsafeMutablePointer<Float>, _ count: Int) { reluForward(x, x, count: count) }

    func maxPool(_ i: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ ws: Workspace) {
        maxPool2DForward(y, indices: ws.poolIndex[i], x, ws.pool[i])
    }

    func batchNorm(_ i: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                   _ ws: Workspace, training: Bool) {
        let d = ws.conv[i], m = d.n * d.ho * d.wo
        if training {
            batchNormForward(y, x, p.bnWeight[i]!, p.bnBias[i]!, mean: ws.bnMean[i]!,
                             invStd: ws.bnInvStd[i]!, runningMean: p.runningMean[i]!,
                             runningVar: p.runningVar[i]!, c: d.o, m: m)
        } else {
            batchNormInference(y, x, p.bnWeight[i]!, p.bnBias[i]!, runningMean: p.runningMean[i]!,
                               runningVar: p.runningVar[i]!, c: d.o, m: m)
        }
    }

    func gruHeadForward(_ ws: Workspace) {
        let (t, n, h, c7) = (ws.T, ws.batch, config.hidden, config.channels[6])
        bidirectionalGRUForward(
            y: ws.y1, hN: ws.hN1, x: ws.seq, h0: nil,
            forward: GRUWeights(p.rnn[0], I: c7, H: h), reverse: GRUWeights(p.rnn[1], I: c7, H: h),
            cache: BidirectionalGRUCache(ws.rnnCache1, T: t, N: n, H: h), T: t, N: n, I: c7, H: h)
        // The second GRU starts from the first one's final state (the seed project's layout).
        bidirectionalGRUForward(
            y: ws.y2, hN: nil, x: ws.y1, h0: ws.hN1,
            forward: GRUWeights(p.rnn[2], I: 2 * h, H: h), reverse: GRUWeights(p.rnn[3], I: 2 * h, H: h),
            cache: BidirectionalGRUCache(ws.rnnCache2, T: t, N: n, H: h), T: t, N: n, I: 2 * h, H: h)
        linearForward(y: ws.logits, x: ws.y2, weight: p.fcWeight, bias: p.fcBias,
                      rows: t * n, I: 2 * h, O: config.classes)
    }

    func lstmHeadForward(_ ws: Workspace) {
        let (t, n, h, c7) = (ws.T, ws.batch, config.hidden, config.channels[6])
        bidirectionalLSTMForward(
            y: ws.y1, x: ws.seq,
            forward: LSTMWeights(p.rnn[0], I: c7, H: h), reverse: LSTMWeights(p.rnn[1], I: c7, H: h),
            cache: BidirectionalLSTMCache(ws.rnnCache1, T: t, N: n, H: h), T: t, N: n, I: c7, H: h)
        linearForward(y: ws.emb, x: ws.y1, weight: p.embWeight!, bias: p.embBias!,
                      rows: t * n, I: 2 * h, O: h)
        bidirectionalLSTMForward(
            y: ws.y2, x: ws.emb,
            forward: LSTMWeights(p.rnn[2], I: h, H: h), reverse: LSTMWeights(p.rnn[3], I: h, H: h),
            cache: BidirectionalLSTMCache(ws.rnnCache2, T: t, N: n, H: h), T: t, N: n, I: h, H: h)
        linearForward(y: ws.logits, x: ws.y2, weight: p.fcWeight, bias: p.fcBias,
                      rows: t * n, I: 2 * h, O: config.classes)
    }
}

/// seq[t][n][c] = a7[c][n][0][t]: the CNN output [C, N, 1, T] as a time-major sequence.
func convToSequence(_ seq: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, c: Int, n: Int, t: Int) {
    parallelFor(t) { ti in
        for ni in 0..<n { for ci in 0..<c { seq[(ti * n + ni) * c + ci] = a[(ci * n + ni) * t + ti] } }
    }
}

/// The inverse of `convToSequence`, overwriting `a`.
func sequenceToConv(_ a: UnsafeMutablePointer<Float>, _ seq: UnsafePointer<Float>, c: Int, n: Int, t: Int) {
    parallelFor(c) { ci in
        for ni in 0..<n { for ti in 0..<t { a[(ci * n + ni) * t + ti] = seq[(ti * n + ni) * c + ci] } }
    }
}
