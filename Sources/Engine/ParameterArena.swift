// One contiguous Float buffer holding many named tensors, llm.c style: the parameters, their
// gradients and every optimiser moment share one layout, so an optimiser step is one loop, a
// gradient is one buffer to encode, and the parameter server ships arenas as they are.

/// A named tensor inside an arena.
public struct TensorSlice: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    /// Position of the first element, in floats from the start of the arena.
    public var offset: Int
    public var count: Int { shape.reduce(1, *) }
}

/// The ordered list of tensors of an arena, with their offsets.
public struct ArenaLayout: Sendable, Equatable {
    public private(set) var slices: [TensorSlice] = []
    public private(set) var count = 0
    private var index: [String: Int] = [:]

    public init(_ shapes: [(name: String, shape: [Int])]) {
        for (name, shape) in shapes {
            precondition(index[name] == nil, "ArenaLayout: duplicate tensor \(name)")
            index[name] = slices.count
            let slice = TensorSlice(name: name, shape: shape, offset: count)
            slices.append(slice)
            count += slice.count
        }
    }

    public subscript(name: String) -> TensorSlice? { index[name].map { slices[$0] } }
}

/// Floats laid out by an `ArenaLayout`, in one allocation that never moves, so layer calls can
/// hold raw pointers into it for the lifetime of the arena.
public final class ParameterArena: @unchecked Sendable {
    public let layout: ArenaLayout
    public let pointer: UnsafeMutablePointer<Float>

    /// A zero-filled arena.
    public init(layout: ArenaLayout) {
        self.layout = layout
        pointer = .allocate(capacity: max(1, layout.count))
        pointer.initialize(repeating: 0, count: max(1, layout.count))
    }

    deinit { pointer.deallocate() }

    public var count: Int { layout.count }
    public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: pointer, count: layout.count) }

    /// Pointer to the named tensor. Names come from the model's own layout, so a miss is a
    /// programmer error.
    public func at(_ name: String) -> UnsafeMutablePointer<Float> {
        guard let slice = layout[name] else { preconditionFailure("no tensor \(name) in arena") }
        return pointer + slice.offset
    }

    /// The named tensor's values as a buffer.
    public subscript(name: String) -> UnsafeMutableBufferPointer<Float> {
        guard let slice = layout[name] else { preconditionFailure("no tensor \(name) in arena") }
        return .init(start: pointer + slice.offset, count: slice.count)
    }

    public func zero() { pointer.update(repeating: 0, count: layout.count) }

    /// Copies every value from `other`, which must have the same layout.
    public func copy(from other: ParameterArena) {
        precondition(other.layout == layout, "ParameterArena.copy: layouts differ")
        pointer.update(from: other.pointer, count: layout.count)
    }

    /// A snapshot of all values (for the wire and checkpoints).
    public var values: [Float] { Array(buffer) }

    /// Replaces all values; `values.count` must equal `count`.
    public func load(_ values: [Float]) {
        precondition(values.count == layout.count, "ParameterArena.load: \(values.count) values for \(layout.count)")
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: layout.count) }
    }
}
