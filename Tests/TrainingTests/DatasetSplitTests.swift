import Testing
@testable import Training

/// The split of a dataset run: the same on every machine, held-out lines never trained on, and
/// each epoch's shards covering every training line exactly once in a fresh order.
@Suite struct DatasetSplitTests {
    @Test func theSameSeedGivesTheSameSplitAndOrders() {
        let a = DatasetSplit(lines: 500, heldOut: 50, seed: 7)
        let b = DatasetSplit(lines: 500, heldOut: 50, seed: 7)
        #expect(a == b)
        #expect(a.order(epoch: 3) == b.order(epoch: 3))
        let other = DatasetSplit(lines: 500, heldOut: 50, seed: 8)
        #expect(other.validation != a.validation, "another run seed holds out other lines")
    }

    @Test func validationAndTrainingAreDisjointAndCoverEveryLine() {
        let split = DatasetSplit(lines: 1000, heldOut: 100, seed: 3)
        #expect(split.validation.count == 100 && split.training.count == 900)
        #expect(Set(split.validation).isDisjoint(with: split.training))
        #expect(Set(split.validation).union(split.training) == Set(0..<1000))
        // A random draw, not the first or last lines of the file.
        #expect(split.validation != Array(0..<100) && split.validation != Array(900..<1000))
    }

    @Test func heldOutIsClampedToTheLines() {
        #expect(DatasetSplit(lines: 5, heldOut: 9, seed: 1).training.isEmpty)
        #expect(DatasetSplit(lines: 5, heldOut: -2, seed: 1).validation.isEmpty)
        #expect(DatasetSplit(lines: 0, heldOut: 1, seed: 1).order(epoch: 0).isEmpty)
    }

    @Test func anEpochsShardsVisitEveryTrainingLineOnce() {
        let split = DatasetSplit(lines: 1037, heldOut: 100, seed: 11)
        let shardSize = 64
        for epoch in 0..<3 {
            var seen: [Int] = []
            for start in stride(from: 0, to: split.training.count, by: shardSize) {
                let slice = split.slice(epoch: epoch, start: start, count: shardSize)
                #expect(slice.count == min(shardSize, split.training.count - start))
                seen += slice
            }
            #expect(seen.count == split.training.count)
            #expect(seen.sorted() == split.training, "epoch \(epoch): every training line exactly once")
        }
        // Past the end the slice is empty rather than a crash.
        #expect(split.slice(epoch: 0, start: 5000, count: 64).isEmpty)
    }

    @Test func eachEpochHasItsOwnOrder() {
        let split = DatasetSplit(lines: 300, heldOut: 30, seed: 5)
        let orders = (0..<4).map { split.order(epoch: $0) }
        #expect(Set(orders.map { $0.description }).count == 4)
        #expect(orders.allSatisfy { $0.sorted() == split.training })
        #expect(orders[0] != split.training, "shuffled, not file order")
    }
}
