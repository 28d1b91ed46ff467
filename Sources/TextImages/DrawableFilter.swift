import Foundation

/// Builds the `full` charset: the candidates (tools/charsets/full-candidates.txt, derived from
/// the standards) that at least `minFaces` faces of `fonts` really draw, in candidate order.
public func drawableCharacters(_ candidates: Charset, fonts: FontSet, minFaces: Int) -> [String] {
    let masks = fonts.faceMasks(for: candidates)
    return (1..<candidates.classCount).filter { masks[$0].nonzeroBitCount >= minFaces }
        .map { candidates.characters[$0 - 1] }
}
