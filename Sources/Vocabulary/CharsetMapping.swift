/// How `init:` treats a checkpoint whose alphabet differs from the run's (`init: {charset: …}`).
public enum CharsetMapping: String, Sendable, Codable, CaseIterable {
    /// The alphabets must be identical, in order (the default).
    case same
    /// Output rows follow the characters: those both alphabets have are copied, the run's new
    /// characters get freshly initialised rows, characters only the checkpoint has are dropped.
    case map
}
