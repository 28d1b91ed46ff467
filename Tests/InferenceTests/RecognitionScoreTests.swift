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

    @Test func oneMinusNEDIsTheMeanOfNormalisedDistances() {
        // Hand-computed: 0/5, 1/max(3,2), 2/max(2,4), 0 (both empty) → 1 − (0 + 1/3 + 1/2 + 0)/4.
        var score = RecognitionScore()
        score.add(truth: Array("12345"), reading: Array("12345"))
        score.add(truth: Array("678"), reading: Array("68"))
        score.add(truth: Array("90"), reading: Array("9012"))
        score.add(truth: Array(""), reading: Array(""))
        #expect(abs(score.oneMinusNED - (1 - (1.0 / 3 + 0.5) / 4)) < 1e-12)
        var wrong = RecognitionScore()
        wrong.add(truth: Array("ab"), reading: Array("xyz"))
        #expect(abs(wrong.oneMinusNED - 0) < 1e-12, "3 edits over max length 3: NED 1")
        #expect(RecognitionScore().oneMinusNED == 0)
    }

    @Test func evaluationBreaksDownByFontAndLength() {
        var evaluation = Evaluation()
        func reading(_ text: String) -> Recognizer.Reading { Recognizer.Reading(text: text, classes: [], confidence: 1) }
        evaluation.add(index: 0, path: nil, truth: "123", reading: reading("123"), font: "A")
        evaluation.add(index: 1, path: nil, truth: "1234567", reading: reading("1234566"), font: "A")
        evaluation.add(index: 2, path: nil, truth: "12", reading: reading("1"), font: "B")
        #expect(evaluation.byFont["A"]?.lines == 2 && evaluation.byFont["A"]?.correctLines == 1)
        #expect(evaluation.byFont["B"]?.lineAccuracy == 0)
        #expect(evaluation.byLength["1-5"]?.lines == 2 && evaluation.byLength["6-10"]?.lines == 1)
        #expect(Evaluation.lengthKey(5) == "1-5" && Evaluation.lengthKey(6) == "6-10" && Evaluation.lengthKey(21) == "21-25")
    }

    @Test func spacesCanBeLeftOutOfTheComparison() {
        func reading(_ text: String) -> Recognizer.Reading { Recognizer.Reading(text: text, classes: [], confidence: 1) }
        var strict = Evaluation(), lenient = Evaluation(ignoresSpaces: true)
        for evaluation in [0, 1] {
            if evaluation == 0 { strict.add(index: 0, path: nil, truth: "new Hill", reading: reading("newHill")) }
            else { lenient.add(index: 0, path: nil, truth: "new Hill", reading: reading("newHill")) }
        }
        #expect(strict.score.correctLines == 0 && strict.score.characterErrors == 1)
        #expect(lenient.score.correctLines == 1 && lenient.score.truthCharacters == 7)
    }
}
