import Engine
import Testing

@Suite struct FiniteCheckTests {
    @Test func finiteValuesOfEveryKindPass() {
        #expect(allFinite([]))
        #expect(allFinite([0, -0, 1, -1, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                           .leastNonzeroMagnitude, .leastNormalMagnitude]))
    }

    @Test(arguments: [Float.nan, -Float.nan, Float.infinity, -Float.infinity, Float.signalingNaN])
    func oneNonFiniteValueAnywhereFails(_ bad: Float) {
        for position in [0, 17, 999] {
            var values = [Float](repeating: 0.5, count: 1000)
            values[position] = bad
            #expect(!allFinite(values), "\(bad) at \(position)")
        }
    }
}
