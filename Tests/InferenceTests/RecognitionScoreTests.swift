import Testing
@testable import Inference

/// Line accuracy, character error rate and the edit distance under them.
@Suite struct RecognitionScoreTests {
    @Test func editDistanceCountsInsertionsDeletionsSubstitutions() {
        #expect(editDistance(Array("kitten"), Array("sitting")) == 3)
        #expect(editDistance(Array(""), Array("abc")) == 3)
        #expect(editDistance(Array("abc"), Array("")) == 3)
        #expect(editDistance(Array("中文字"), Array("中字")) == 1)
        #expect(editDistance(Array("same"), Array("same")) == 0)
    }

    @Test func scoreSumsLinesAndErrors() {
        var score = RecognitionScore()
        #expect(score.lineAccuracy == 0 && score.characterErrorRate == 0)
        #expect(score.add(truth: Array("12345"), reading: Array("12345")) == 0)
        #expect(score.add(truth: Array("678"), reading: Array("68")) == 1)
        #expect(score.add(truth: Array("90"), reading: Array("9012")) == 2)
        #expect(score.lines == 3 && score.correctLines == 1)
        #expect(score.truthCharacters == 10 && score.characterErrors == 3)
        #expect(abs(score.lineAccuracy - 1.0 / 3) < 1e-12)
        #expect(abs(score.characterErrorRate - 0.3) < 1e-12)
    }

    @Test func emptyTruthWithAReadingIsAllWrong() {
        var score = RecognitionScore()
        score.add(truth: Array(""), reading: Array("x"))
        #expect(score.characterErrorRate == 1)
        #expect(score.lineAccuracy == 0)
    }
}
