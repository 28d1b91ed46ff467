import Engine
import Testing
import Training

/// Cutting the wire arena into shards' key ranges.
@Suite struct ArenaRangeTests {
    /// Parameters 10 + 3 + 7, running statistics 2 + 2.
    let layout = [10, 3, 7, 2, 2]

    @Test func rangesCoverTheArenaContiguouslyAndEvenly() {
        for shards in 1...24 {
            let ranges = ArenaRanges.split(layout: layout, parameterCount: 20, shards: shards)
            #expect(ranges.count == shards)
            #expect(ranges.first!.lower == 0 && ranges.last!.upper == 24)
            for (s, range) in ranges.enumerated() {
                #expect(range.shard == s && range.shards == shards)
                #expect(range.pieces.reduce(0, +) == range.count)
                #expect(range.pieces.allSatisfy { $0 > 0 })
                #expect(range.parameterLayout.count + range.bufferLayout.count == range.count)
                if s > 0 { #expect(ranges[s - 1].upper == range.lower) }
            }
            let sizes = ranges.map(\.count)
            #expect(sizes.max()! - sizes.min()! <= 1)
            #expect(ranges.reduce(0) { $0 + $1.parameterCount } == 20)
        }
    }

    /// Boundaries fall inside tensors where they must; a piece never straddles parameters and
    /// running statistics.
    @Test func boundariesCutInsideTensors() {
        let ranges = ArenaRanges.split(layout: layout, parameterCount: 20, shards: 3)
        #expect(ranges.map(\.lower) == [0, 8, 16])
        #expect(ranges[0].pieces == [8] && ranges[0].parameterCount == 8)
        #expect(ranges[1].pieces == [2, 3, 3] && ranges[1].parameterCount == 8)
        // 16..<24: the last 4 values of the third tensor, then both statistic tensors.
        #expect(ranges[2].pieces == [4, 2, 2] && ranges[2].parameterCount == 4 && ranges[2].bufferCount == 4)
        #expect(ranges[2].parameterLayout.slices.map(\.count) == [4])
        #expect(ranges[2].bufferLayout.slices.map(\.count) == [2, 2])
        #expect(ranges[1].description == "shard 2 of 3 (values 8..<16)")
    }

    @Test func oneShardIsTheWholeModelArena() {
        let model = CRNNModel(config: ModelPreset.tiny.config(classes: 11), seed: 1)
        let whole = ArenaRanges.whole(model)
        #expect(whole.isWhole && whole.lower == 0 && whole.upper == WireArena.count(of: model))
        #expect(whole.pieces == WireArena.layout(of: model))
        #expect(whole.parameterCount == model.parameters.count)
        #expect(whole.parameterLayout.count == model.parameters.count)
        // The 4-shard split of a real model: the output layer is cut.
        let four = ArenaRanges.split(model, shards: 4)
        #expect(four.reduce(0) { $0 + $1.count } == whole.count)
        #expect(four.reduce(0) { $0 + $1.pieces.count } > whole.pieces.count)
    }
}
