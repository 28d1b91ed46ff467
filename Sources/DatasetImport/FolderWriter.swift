import Foundation

/// Writes an imported dataset as our folder format (labels.tsv + images/NNNNNNNNN.png|jpg, the
/// original bytes). Everything goes to a hidden folder beside the target, renamed into place only
/// when the whole import succeeded: a failed import leaves nothing behind.
public enum FolderWriter {
    public struct Summary: Equatable, Sendable {
        public let lines: Int
        public let bytes: Int
    }

    /// Imports `source` (in `format`) into the new folder `output`.
    /// - Throws: `ImportError` naming the source file and line or key, or the output folder.
    public static func importDataset(_ source: String, format: DatasetFormat, root: String? = nil,
                                     into output: String) throws -> Summary {
        let target = URL(fileURLWithPath: output).standardizedFileURL
        guard !FileManager.default.fileExists(atPath: target.path) else {
            throw ImportError(output, "already exists (import into a new folder)")
        }
        let partial = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).partial-\(getpid())")
        do {
            try FileManager.default.createDirectory(at: partial.appendingPathComponent("images"), withIntermediateDirectories: true)
        } catch {
            throw ImportError(output, "cannot create the folder: \(error.localizedDescription)")
        }
        var labels = "", lines = 0, bytes = 0
        do {
            try format.read(source, root: root) { image in
                lines += 1
                let name = String(format: "images/%09d", lines) + (image.bytes.first == 0x89 ? ".png" : ".jpg")
                do {
                    try Data(image.bytes).write(to: partial.appendingPathComponent(name))
                } catch {
                    throw ImportError(output, "cannot write \(name): \(error.localizedDescription)")
                }
                labels += "\(name)\t\(image.label)\n"
                bytes += image.bytes.count
            }
            guard lines > 0 else { throw ImportError(source, "holds no labelled image") }
            try Data(labels.utf8).write(to: partial.appendingPathComponent("labels.tsv"))
            guard rename(partial.path, target.path) == 0 else {
                throw ImportError(output, "cannot move the imported folder into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(at: partial)
            throw error
        }
        return Summary(lines: lines, bytes: bytes)
    }
}
