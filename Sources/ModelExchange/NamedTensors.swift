// A checkpoint's parameters and batch-norm statistics by PyTorch name, as the export formats
// (ONNX initialisers, PyTorch state dicts) want them.
import Engine

/// One tensor: its shape and its values in row-major order.
public struct NamedTensor: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }
}

/// Every tensor of a model, in `ModelConfig.parameterShapes` then `bufferShapes` order.
public struct NamedTensors: Sendable {
    public let names: [String]
    private let byName: [String: NamedTensor]

    /// Splits a checkpoint's flat parameter and buffer arenas by name.
    public init(config: ModelConfig, parameters: [Float], buffers: [Float]) {
        var names: [String] = [], byName: [String: NamedTensor] = [:]
        for (layout, values) in [(ArenaLayout(config.parameterShapes), parameters), (ArenaLayout(config.bufferShapes), buffers)] {
            for slice in layout.slices {
                names.append(slice.name)
                byName[slice.name] = NamedTensor(shape: slice.shape, values: Array(values[slice.offset..<(slice.offset + slice.count)]))
            }
        }
        self.names = names
        self.byName = byName
    }

    public init(checkpoint: Checkpoint) {
        self.init(config: checkpoint.config, parameters: checkpoint.parameters, buffers: checkpoint.buffers)
    }

    /// The tensor called `name`; the names are the config's own, so a missing one is a bug.
    public subscript(name: String) -> NamedTensor {
        guard let tensor = byName[name] else { preconditionFailure("no tensor \(name) in this model") }
        return tensor
    }
}
