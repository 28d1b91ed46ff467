// This module's public API speaks the shared names (text direction, presets, codecs, update
// rules); re-exported so that its users see the same types without importing them separately.
@_exported import Vocabulary
