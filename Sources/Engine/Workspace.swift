// Every activation, cache and scratch buffer of one (batch, width) shape, allocated once, so a
// training step allocates nothing. The model keeps one workspace and rebuilds it only when a
// batch of another shape arrives.
//
// Shapes (CNHW for the convolutional stack, time-major for the recurrent head):
//   input  [1, N, 32, W]                 a1 [c1, N, 32, W]       p1 [c1, N, 16, W/2]
//   a2 [c2, N, 16, W/2]   p2 [c2, N, 8, W/4]   a3, a4 [c3|c4, N, 8, W/4]   p4 [c4, N, 4, W/4−1]
//   a5, b5 [c5, N, 4, W/4−1]   a6, b6 [c6, N, 4, W/4−1]   p6 [c6, N, 2, W/4−2]   a7 [c7, N, 1, T]
//   seq [T, N, c7]   y1 [T, N, 2H]   emb [T, N, H] (lstm)   y2 [T, N, 2H]   logits [T, N, K]
import Foundation

/// Preallocated buffers for one batch shape.
final class Workspace {
    let batch: Int, width: Int, T: Int, winogradMinimumChannels: Int
    let config: ModelConfig
    /// conv1 … conv7 and the four pools (after conv1, conv2, conv4, conv6).
    let conv: [ConvDims]
    let pool: [PoolDims]

    let input: UnsafeMutablePointer<Float>
    /// Conv outputs a1 … a7 (ReLU in place on a3 and a7; the pooled layers apply it after the pool).
    let convOut: [UnsafeMutablePointer<Float>]
    /// Per conv, the batch norm's output and saved statistics (nil where none follows; ReLU in
    /// place on it, or after the pool on pooled layers).
    let bnOut: [UnsafeMutablePointer<Float>?]
    let bnMean: [UnsafeMutablePointer<Float>?], bnInvStd: [UnsafeMutablePointer<Float>?]
    let poolOut: [UnsafeMutablePointer<Float>]
    let poolIndex: [UnsafeMutablePointer<Int32>]
    /// Scratch of the convolutions: im2col matrices or Winograd's V and M, per chunk of samples.
    let col: UnsafeMutablePointer<Float>
    let colCapacity: Int
    /// Which convolutions run by Winograd F(2×2, 3×3), their transformed filters [16, O, C]
    /// (kept from forward to backward) and the shared filter-gradient scratch.
    let winograd: [Bool]
    let winogradU: [UnsafeMutablePointer<Float>?]
    let winogradDU: UnsafeMutablePointer<Float>
    /// Ping-pong gradient buffers for the convolutional stack, each as large as its largest tensor.
    let gradA: UnsafeMutablePointer<Float>, gradB: UnsafeMutablePointer<Float>

    let seq: UnsafeMutablePointer<Float>, dseq: UnsafeMutablePointer<Float>
    let y1: UnsafeMutablePointer<Float>, dy1: UnsafeMutablePointer<Float>
    let hN1: UnsafeMutablePointer<Float>, dhN1: UnsafeMutablePointer<Float>
    let emb: UnsafeMutablePointer<Float>, demb: UnsafeMutablePointer<Float>
    let y2: UnsafeMutablePointer<Float>, dy2: UnsafeMutablePointer<Float>
    let rnnCache1: UnsafeMutablePointer<Float>, rnnCache2: UnsafeMutablePointer<Float>
    let logits: UnsafeMutablePointer<Float>, dlogits: UnsafeMutablePointer<Float>

    private var floatBlocks: [UnsafeMutablePointer<Float>] = []
    private var indexBlocks: [UnsafeMutablePointer<Int32>] = []

    /// Largest im2col scratch in floats: beyond this a convolution splits its batch into
    /// chunks (one GEMM per chunk), which costs little once a chunk is a few samples wide.
    static let colLimit = 24 << 20

    /// - Parameter winogradMinimumChannels: 3×3 convolutions with at least this many input
    ///   channels use Winograd (fewer channels make its 16 GEMMs too thin to pay off).
    init(config: ModelConfig, batch n: Int, width w: Int, winogradMinimumChannels: Int = 16) {
        precondition(ModelConfig.isValidWidth(w), "Workspace: width \(w) is not a multiple of 4 ≥ 16")
        self.config = config; batch = n; width = w
        self.winogradMinimumChannels = winogradMinimumChannels
        let c = config.channels, t = ModelConfig.timeSteps(width: w)
        T = t
        let dims = Self.dims(config: config, batch: n, width: w)
        let convs = dims.conv
        conv = convs
        pool = dims.pool

        var blocks: [UnsafeMutablePointer<Float>] = []
        // Zeroed by calloc: large blocks come as fresh zero pages from the kernel, so a buffer
        // the forward never touches (every gradient buffer when reading) costs nothing, where
        // allocating and filling with zeros cost ~8 % of reading a line at batch 1.
        func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
            guard let raw = calloc(max(1, count), MemoryLayout<Float>.stride) else {
                fatalError("Workspace: out of memory for \(count) floats")
            }
            let p = raw.bindMemory(to: Float.self, capacity: max(1, count))
            blocks.append(p)
            return p
        }
        input = floats(n * 32 * w)
        convOut = convs.map { floats($0.outputCount) }
        let norm = config.batchNorm
        bnOut = (0..<7).map { norm[$0] ? floats(convs[$0].outputCount) : nil }
        bnMean = (0..<7).map { norm[$0] ? floats(c[$0]) : nil }
        bnInvStd = (0..<7).map { norm[$0] ? floats(c[$0]) : nil }
        poolOut = pool.map { floats($0.outputCount) }
        var indices: [UnsafeMutablePointer<Int32>] = []
        for p in pool {
            guard let raw = calloc(max(1, p.outputCount), MemoryLayout<Int32>.stride) else {
                fatalError("Workspace: out of memory for \(p.outputCount) pool indices")
            }
            indices.append(raw.bindMemory(to: Int32.self, capacity: max(1, p.outputCount)))
        }
        poolIndex = indices
        indexBlocks = indices
        winograd = convs.map { $0.supportsWinograd && $0.c >= winogradMinimumChannels }
        winogradU = zip(convs, winograd).map { $1 ? floats(16 * $0.o * $0.c) : nil }
        winogradDU = floats(zip(convs, winograd).map { $1 ? 16 * $0.o * $0.c : 0 }.max()!)
        let perSample = zip(convs, winograd).map { $1 ? $0.winogradScratchPerSample : $0.colRows * $0.ho * $0.wo }
        colCapacity = max(perSample.max()!, min(Self.colLimit, perSample.map { $0 * n }.max()!))
        col = floats(colCapacity)
        let largest = (convs.map(\.outputCount) + convs.map(\.inputCount)).max()!
        gradA = floats(largest); gradB = floats(largest)

        let h = config.hidden, k = config.classes
        seq = floats(t * n * c[6]); dseq = floats(t * n * c[6])
        y1 = floats(t * n * 2 * h); dy1 = floats(t * n * 2 * h)
        hN1 = floats(2 * n * h); dhN1 = floats(2 * n * h)
        let lstm = config.head == .lstm
        emb = floats(lstm ? t * n * h : 0); demb = floats(lstm ? t * n * h : 0)
        y2 = floats(t * n * 2 * h); dy2 = floats(t * n * 2 * h)
        let cacheCount = lstm ? BidirectionalLSTMCache.floatCount(T: t, N: n, H: h)
                              : BidirectionalGRUCache.floatCount(T: t, N: n, H: h)
        rnnCache1 = floats(cacheCount); rnnCache2 = floats(cacheCount)
        logits = floats(t * n * k); dlogits = floats(t * n * k)
        floatBlocks = blocks
    }

    /// The conv and pool sizes for a batch (the layer table of docs/model.md).
    static func dims(config: ModelConfig, batch n: Int, width w: Int) -> (conv: [ConvDims], pool: [PoolDims]) {
        let c = config.channels
        // (input height, width) of each conv.
        let sizes = [(32, w), (16, w / 2), (8, w / 4), (8, w / 4), (4, w / 4 - 1), (4, w / 4 - 1), (2, w / 4 - 2)]
        let convs = (0..<7).map { i in
            let k = i == 6 ? 2 : 3, pad = i == 6 ? 0 : 1
            return ConvDims(n: n, c: i == 0 ? 1 : c[i - 1], h: sizes[i].0, w: sizes[i].1,
                            o: c[i], kh: k, kw: k, ph: pad, pw: pad)
        }
        let pools = [
            PoolDims(planes: c[0] * n, h: 32, w: w, kh: 2, kw: 2, sh: 2, sw: 2),
            PoolDims(planes: c[1] * n, h: 16, w: w / 2, kh: 2, kw: 2, sh: 2, sw: 2),
            PoolDims(planes: c[3] * n, h: 8, w: w / 4, kh: 2, kw: 2, sh: 2, sw: 1),
            PoolDims(planes: c[5] * n, h: 4, w: w / 4 - 1, kh: 2, kw: 2, sh: 2, sw: 1),
        ]
        return (convs, pools)
    }

    deinit {
        for p in floatBlocks { free(p) }
        for p in indexBlocks { free(p) }
    }
}
