// The `training` block of a version 2 checkpoint header: the optimiser state that follows the
// model's tensors in the payload. Like the rest of the header it is untrusted, so every field is
// tied to the model's own parameter layout before anything is allocated for it.

/// The header's description of a `TrainingState`.
public struct CheckpointTraining: Codable, Sendable, Equatable {
    /// `OptimizerKind.rawValue`; a string, so that an unknown optimiser is refused by name.
    public var optimizer: String
    public var stepCount: Int
    public var samplesApplied: Int
    /// The state arenas: name, shape [P] and byte offset in the uncompressed payload.
    public var state: [CheckpointTensor]

    /// The block for `training`, whose arenas start at byte `offset` of the payload.
    init(_ training: TrainingState, stateAfter offset: Int) {
        optimizer = training.optimizer.rawValue
        stepCount = training.stepCount
        samplesApplied = training.samplesApplied
        state = Self.stateTable(training.optimizer, parameters: training.state.first?.count ?? 0, after: offset)
    }

    /// The state table of `kind` for `parameters` values per arena, starting at byte `offset`.
    static func stateTable(_ kind: OptimizerKind, parameters: Int, after offset: Int) -> [CheckpointTensor] {
        kind.stateNames.enumerated().map { i, name in
            CheckpointTensor(name: name, shape: [parameters], offset: offset + 4 * i * parameters)
        }
    }

    /// The optimiser this block names, if this build knows it.
    var kind: OptimizerKind? { OptimizerKind(rawValue: optimizer) }

    /// Why this block does not fit a model of `parameters` values whose tensors take the first
    /// `tensorBytes` bytes of the payload, naming the field; nil when it fits.
    func violation(parameters: Int, tensorBytes: Int) -> String? {
        guard let kind else {
            let known = OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")
            return "training.optimizer is \"\(optimizer)\", expected one of \(known)"
        }
        guard stepCount >= 0 else { return "training.stepCount is \(stepCount), expected 0 or more" }
        guard samplesApplied >= 0 else { return "training.samplesApplied is \(samplesApplied), expected 0 or more" }
        let expected = Self.stateTable(kind, parameters: parameters, after: tensorBytes)
        guard state.count == expected.count else {
            return "training.state has \(state.count) arenas; \(optimizer) keeps \(expected.count) "
                + "(\(kind.stateNames.joined(separator: ", ")))"
        }
        for (i, (found, wanted)) in zip(state, expected).enumerated() {
            let field = "training.state[\(i)]"
            guard found.name == wanted.name else { return "\(field) is named \"\(found.name)\", expected \(wanted.name)" }
            guard found.shape == wanted.shape else {
                return "\(field) (\(wanted.name)) has shape \(found.shape), expected \(wanted.shape): one value per parameter"
            }
            guard found.offset == wanted.offset else {
                return "\(field) (\(wanted.name)) starts at byte \(found.offset), expected \(wanted.offset)"
            }
        }
        return nil
    }

    /// The training state whose arenas are `values`, back to back (checked by `violation`).
    func restored(from values: ArraySlice<Float>) -> TrainingState? {
        guard let kind else { return nil }
        let count = state.first?.shape.first ?? 0
        let arenas = (0..<state.count).map { i in
            Array(values[(values.startIndex + i * count)..<(values.startIndex + (i + 1) * count)])
        }
        return TrainingState(optimizer: kind, stepCount: stepCount, samplesApplied: samplesApplied, state: arenas)
    }
}
