// Optimisers with PyTorch semantics, each one loop over the flat arena. Their state (momentum,
// moments) lives in arenas of the parameters' layout so the parameter server can ship it as is.
//
// Shapes: parameters, gradients and every state arena [P] (P = total parameter count).
import Foundation

/// An optimiser that updates a parameter arena from a gradient arena.
public protocol Optimizer: AnyObject {
    /// Which optimiser this is (the name a checkpoint stores its state under).
    var kind: OptimizerKind { get }
    /// State arenas in a fixed order (e.g. Adam: exp_avg, exp_avg_sq), same layout as the parameters.
    var state: [ParameterArena] { get }
    /// Steps taken so far (Adam's bias correction depends on it).
    var stepCount: Int { get set }
    /// Applies one update with `learningRate`.
    func step(parameters: ParameterArena, gradients: ParameterArena, learningRate: Float)
}

/// Splits `0..<count` into chunks for `parallelFor`; the optimiser loops are memory bound, so
/// large chunks keep each thread streaming.
@inline(__always)
private func forEachChunk(_ count: Int, _ body: (Range<Int>) -> Void) {
    let chunk = 1 << 16
    parallelFor((count + chunk - 1) / chunk) { part in
        body((part * chunk)..<min(count, (part + 1) * chunk))
    }
}

/// torch.optim.SGD: g += wd·p; buf = momentum·buf + g (buf = g on the first step); p −= lr·buf.
public final class SGD: Optimizer {
    public let momentum: Float, weightDecay: Float, nesterov: Bool
    public let momentumBuffer: ParameterArena
    public var stepCount = 0
    public var state: [ParameterArena] { [momentumBuffer] }
    public var kind: OptimizerKind { .sgd }

    public init(layout: ArenaLayout, momentum: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
        self.momentum = momentum; self.weightDecay = weightDecay; self.nesterov = nesterov
        momentumBuffer = ParameterArena(layout: layout)
    }

    public func step(parameters: ParameterArena, gradients: ParameterArena, learningRate lr: Float) {
        let p = parameters.pointer, g = gradients.pointer, buf = momentumBuffer.pointer
        let (mu, wd, first, nesterov) = (momentum, weightDecay, stepCount == 0, nesterov)
        forEachChunk(parameters.count) { range in
            for i in range {
                var d = g[i] + wd * p[i]
                if mu != 0 {
                    buf[i] = first ? d : mu * buf[i] + d
                    d = nesterov ? d + mu * buf[i] : buf[i]
                }
                p[i] -= lr * d
            }
        }
        stepCount += 1
    }
}

/// torch.optim.Adam (L2 weight decay added to the gradient, bias-corrected moments).
public final class Adam: Optimizer {
    public let beta1: Float, beta2: Float, eps: Float, weightDecay: Float
    public let expAvg: ParameterArena, expAvgSq: ParameterArena
    public var stepCount = 0
    public var state: [ParameterArena] { [expAvg, expAvgSq] }
    public var kind: OptimizerKind { .adam }

    public init(layout: ArenaLayout, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8,
                weightDecay: Float = 0) {
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
        expAvg = ParameterArena(layout: layout); expAvgSq = ParameterArena(layout: layout)
    }

    public func step(parameters: ParameterArena, gradients: ParameterArena, learningRate lr: Float) {
        stepCount += 1
        let t = Double(stepCount)
        // Same arithmetic as PyTorch's single-tensor path: p −= lr/bc1 · m / (√v/√bc2 + eps).
        let bc1 = 1 - pow(Double(beta1), t), bc2 = 1 - pow(Double(beta2), t)
        let stepSize = Float(Double(lr) / bc1), sqrtBc2 = Float(bc2.squareRoot())
        let p = parameters.pointer, g = gradients.pointer, m = expAvg.pointer, v = expAvgSq.pointer
        let (b1, b2, eps, wd) = (beta1, beta2, eps, weightDecay)
        forEachChunk(parameters.count) { range in
            for i in range {
                let d = g[i] + wd * p[i]
                m[i] = b1 * m[i] + (1 - b1) * d
                v[i] = b2 * v[i] + (1 - b2) * d * d
                p[i] -= stepSize * m[i] / (v[i].squareRoot() / sqrtBc2 + eps)
            }
        }
    }
}

/// torch.optim.Adadelta: v = ρv + (1−ρ)g²; δ = √(u+ε)/√(v+ε)·g; u = ρu + (1−ρ)δ²; p −= lr·δ.
public final class Adadelta: Optimizer {
    public let rho: Float, eps: Float, weightDecay: Float
    public let squareAvg: ParameterArena, accDelta: ParameterArena
    public var stepCount = 0
    public var state: [ParameterArena] { [squareAvg, accDelta] }
    public var kind: OptimizerKind { .adadelta }

    public init(layout: ArenaLayout, rho: Float = 0.9, eps: Float = 1e-6, weightDecay: Float = 0) {
        self.rho = rho; self.eps = eps; self.weightDecay = weightDecay
        squareAvg = ParameterArena(layout: layout); accDelta = ParameterArena(layout: layout)
    }

    public func step(parameters: ParameterArena, gradients: ParameterArena, learningRate lr: Float) {
        let p = parameters.pointer, g = gradients.pointer, v = squareAvg.pointer, u = accDelta.pointer
        let (rho, eps, wd) = (rho, eps, weightDecay)
        forEachChunk(parameters.count) { range in
            for i in range {
                let d = g[i] + wd * p[i]
                v[i] = rho * v[i] + (1 - rho) * d * d
                let delta = (u[i] + eps).squareRoot() / (v[i] + eps).squareRoot() * d
                u[i] = rho * u[i] + (1 - rho) * delta * delta
                p[i] -= lr * delta
            }
        }
        stepCount += 1
    }
}

/// Scales the gradients so their global L2 norm is at most `maxNorm` (torch.nn.utils.
/// clip_grad_norm_: factor maxNorm / (norm + 1e-6), applied only when below 1).
/// - Returns: the norm before clipping.
@discardableResult
public func clipGradientNorm(_ gradients: ParameterArena, maxNorm: Float) -> Float {
    let g = gradients.pointer
    var total: Double = 0
    for i in 0..<gradients.count { total += Double(g[i]) * Double(g[i]) }
    let norm = Float(total.squareRoot())
    let factor = maxNorm / (norm + 1e-6)
    if factor < 1 {
        forEachChunk(gradients.count) { range in for i in range { g[i] *= factor } }
    }
    return norm
}

/// Step decay: the rate is multiplied by `gamma` every `stepSize` steps (or epochs, whichever
/// unit the caller counts), like torch.optim.lr_scheduler.StepLR.
/// The learning rate as a function of training progress in epochs (fractional: samples applied
/// / samples per epoch): an optional linear warm-up, then constant, step decay (× gamma every
/// `every` epochs, the original recipe) or a cosine from the base rate to `floor` × base at `epochs`.
public struct LearningRateSchedule: Sendable, Equatable, Codable {
    public enum Decay: Sendable, Equatable, Codable {
        case constant
        case step(every: Int, gamma: Float)
        /// Half a cosine over the epochs after the warm-up, ending at `floor` × the base rate.
        case cosine(epochs: Double, floor: Float)
    }

    public var baseRate: Float
    public var decay: Decay
    /// Epochs of linear warm-up from 1 % of the base rate.
    public var warmupEpochs: Double

    public init(baseRate: Float, decay: Decay = .constant, warmupEpochs: Double = 0) {
        self.baseRate = baseRate; self.decay = decay; self.warmupEpochs = max(0, warmupEpochs)
    }

    /// The learning rate after `epoch` epochs of training.
    public func rate(atEpoch epoch: Double) -> Float {
        let e = max(0, epoch)
        var rate: Float
        switch decay {
        case .constant:
            rate = baseRate
        case .step(let every, let gamma):
            rate = baseRate * Float(pow(Double(gamma), Double(Int(e) / max(1, every))))
        case .cosine(let epochs, let floor):
            let t = min(1, max(0, (e - warmupEpochs) / max(1e-9, epochs - warmupEpochs)))
            rate = baseRate * (floor + (1 - floor) * Float(0.5 * (1 + cos(Double.pi * t))))
        }
        if e < warmupEpochs { rate *= Float(max(0.01, e / warmupEpochs)) }
        return rate
    }
}

