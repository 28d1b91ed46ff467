// Rectified linear unit. The forward may run in place (y == x); the backward needs only the
// output, since y > 0 exactly where the input was positive.
//
// Shapes: x, y, dy [count] (any layout)

/// y = max(0, x); `y` may alias `x`.
public func reluForward(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
    let chunk = 1 << 16
    parallelFor((count + chunk - 1) / chunk) { part in
        let lo = part * chunk, hi = min(count, lo + chunk)
        for i in lo..<hi { y[i] = max(0, x[i]) }
    }
}

/// Masks the incoming gradient in place: dy = dy where y > 0, else 0. The gradient buffer then
/// holds d loss / d x, so the layer below reads it directly (no extra buffer, no accumulation
/// needed because ReLU is the only consumer of its input in this network).
public func reluBackward(_ dy: UnsafeMutablePointer<Float>, y: UnsafePointer<Float>, count: Int) {
    let chunk = 1 << 16
    parallelFor((count + chunk - 1) / chunk) { part in
        let lo = part * chunk, hi = min(count, lo + chunk)
        for i in lo..<hi where y[i] <= 0 { dy[i] = 0 }
    }
}
