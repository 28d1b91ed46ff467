import ArgumentParser
import Engine
import Foundation

extension CheckpointStorage: ExpressibleByArgument {}

/// Writes checkpoint `bytes` to `path` beside the target and renames, so that an interrupted
/// write never leaves half a file under its name.
/// - Throws: `ValidationError` naming the file when it cannot be written.
func writeCheckpointFile(_ bytes: [UInt8], to path: String) throws {
    let destination = URL(fileURLWithPath: path)
    let temporary = destination.deletingLastPathComponent()
        .appendingPathComponent(".\(destination.lastPathComponent).part-\(getpid())")
    do {
        try Data(bytes).write(to: temporary)
        // rename(2) replaces an existing file atomically (Foundation's replaceItemAt on Linux
        // removed the old file and then failed: a second `make demo` lost its checkpoint).
        guard rename(temporary.path, destination.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: String(cString: strerror(errno))])
        }
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        throw ValidationError("cannot write \(path): \(error.localizedDescription)")
    }
}
