/// Error feedback for lossy gradient codecs (Seide et al. 2014; Lin et al., Deep Gradient
/// Compression, 2018): what a codec did not send is not lost but carried to the next step.
///
/// Owned by the worker, one per run. Each push sends `codec(g + r)` and keeps
/// `r ← g + r − decode(sent)`, so over many steps the sum of what the server received equals
/// the sum of the gradients minus the (bounded) final residual. The residual is measured
/// against the decoded payload, so quantisation error is carried too, not only the dropped
/// entries.
public final class ErrorFeedback {
    /// The residual: gradient mass not yet delivered, one value per parameter.
    public private(set) var residual: [Float]
    private var sent: [Float]

    /// - Parameter count: the number of parameters (the gradient arena's size).
    public init(count: Int) {
        residual = [Float](repeating: 0, count: count)
        sent = [Float](repeating: 0, count: count)
    }

    /// Adds the residual to `gradient`, encodes the sum with `codec`, and keeps what the
    /// encoding did not carry.
    ///
    /// - Returns: the payload to push.
    /// - Throws: the codec's errors (a non-finite gradient leaves the residual unchanged).
    public func encode(gradient: UnsafeBufferPointer<Float>, layout: [Int], codec: any GradientCodec) throws -> [UInt8] {
        precondition(gradient.count == residual.count, "gradient has \(gradient.count) values, residual \(residual.count)")
        var compensated = residual
        compensated.withUnsafeMutableBufferPointer { c in
            for i in 0..<c.count { c[i] += gradient[i] }
        }
        let payload = try compensated.withUnsafeBufferPointer { try codec.encode(gradient: $0, layout: layout) }
        try codec.decode(payload, into: &sent)
        sent.withUnsafeBufferPointer { s in
            compensated.withUnsafeMutableBufferPointer { c in
                for i in 0..<c.count { c[i] -= s[i] }
            }
        }
        residual = compensated
        return payload
    }

    /// Convenience for arrays; see `encode(gradient:layout:codec:)`.
    public func encode(_ gradient: [Float], layout: [Int], codec: any GradientCodec) throws -> [UInt8] {
        try gradient.withUnsafeBufferPointer { try encode(gradient: $0, layout: layout, codec: codec) }
    }

    /// Forgets the residual, e.g. after the worker pulled parameters that moved far away.
    public func reset() {
        residual.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// The residual's squared L2 norm.
    public var residualEnergy: Double {
        residual.reduce(0.0) { $0 + Double($1) * Double($1) }
    }
}
