// The key ranges of sharded parameter servers (ps-lite's idea): the wire arena cut into S
// contiguous ranges of nearly equal size, cut inside tensors where a boundary falls (the seed
// model's output layer alone is 67 % of its arena, so whole tensors could not balance). Each
// range carries its own tensor layout, the pieces of the tensors inside it, so per-tensor codecs
// (top-k) select per piece; the part of a range below P (parameters) is what its server's
// optimiser steps, the rest (running statistics) is summed.
//
// Shapes: wire arena [P + B]; a range [lower, upper) of it.
import Engine

/// One parameter server's share of the wire arena.
public struct ArenaRange: Sendable, Equatable, CustomStringConvertible {
    /// This range's index, 0..<shards.
    public var shard: Int
    public var shards: Int
    /// Wire positions [lower, upper).
    public var lower: Int
    public var upper: Int
    /// Sizes of the tensor pieces inside the range, in wire order: the layout codecs see.
    public var pieces: [Int]
    /// Leading values of the range that are parameters (the rest are running statistics).
    public var parameterCount: Int

    public var count: Int { upper - lower }
    public var bufferCount: Int { count - parameterCount }
    public var isWhole: Bool { shards == 1 }

    /// The layout of the range's parameters (what its optimiser's state follows), one tensor per piece.
    public var parameterLayout: ArenaLayout { Self.layout(of: piecesUpTo(parameterCount, from: 0), prefix: "p") }
    /// The layout of the range's running statistics, one tensor per piece.
    public var bufferLayout: ArenaLayout { Self.layout(of: piecesUpTo(bufferCount, from: parameterCount), prefix: "b") }

    public var description: String {
        isWhole ? "the whole arena (\(count) values)" : "shard \(shard + 1) of \(shards) (values \(lower)..<\(upper))"
    }

    /// The pieces covering `count` values of the range from its value `start` (always piece boundaries).
    private func piecesUpTo(_ count: Int, from start: Int) -> [Int] {
        var offset = 0, out: [Int] = []
        for piece in pieces {
            if offset >= start && offset < start + count { out.append(piece) }
            offset += piece
        }
        return out
    }

    private static func layout(of pieces: [Int], prefix: String) -> ArenaLayout {
        ArenaLayout(pieces.enumerated().map { (name: "\(prefix)\($0.offset)", shape: [$0.element]) })
    }
}

/// Cutting a wire arena into ranges.
public enum ArenaRanges {
    /// Most shards a run may have (each a server with its own connection per worker).
    public static let maximumShards = 64

    /// `shards` contiguous ranges of `layout` (tensor sizes, parameters first: `parameterCount` of
    /// the values) whose sizes differ by at most one value.
    public static func split(layout: [Int], parameterCount: Int, shards: Int) -> [ArenaRange] {
        let total = layout.reduce(0, +)
        precondition(shards >= 1 && shards <= max(1, total), "ArenaRanges.split: \(shards) shards for \(total) values")
        return (0..<shards).map { shard in
            let lower = shard * total / shards, upper = (shard + 1) * total / shards
            var pieces: [Int] = [], offset = 0
            for size in layout {
                let piece = min(upper, offset + size) - max(lower, offset)
                if piece > 0 { pieces.append(piece) }
                offset += size
            }
            return ArenaRange(shard: shard, shards: shards, lower: lower, upper: upper, pieces: pieces,
                              parameterCount: max(0, min(upper, parameterCount) - lower))
        }
    }

    /// `model`'s wire arena in `shards` ranges.
    public static func split(_ model: CRNNModel, shards: Int) -> [ArenaRange] {
        split(layout: WireArena.layout(of: model), parameterCount: model.parameters.count, shards: shards)
    }

    /// `model`'s whole wire arena as one range.
    public static func whole(_ model: CRNNModel) -> ArenaRange { split(model, shards: 1)[0] }
}
