// A run's validation lines with what its best checkpoint reads in them: the first lines of the
// run's own held-out set (rendered from its validation seed, as the coordinator does).
import Engine
import Foundation
import Store
import TextImages
import Training

struct GalleryLine: Sendable {
    let png: [UInt8]
    let truth: String
    let reading: String
    var right: Bool { truth == reading }
}

enum Gallery {
    static let count = 12

    /// The lines and the checkpoint that read them; nil when the run has no checkpoint yet.
    /// - Throws: what reading the run, its checkpoint or the fonts throws.
    static func make(run: Int64, services: UIServices) async throws -> (lines: [GalleryLine], checkpoint: CheckpointStore.Record)? {
        let loaded = try await services.database { connection -> (RunConfig, [String], CheckpointStore.Record)? in
            let store = CheckpointStore(connection: connection)
            guard let record = (try? store.find(run: run, .best)) ?? (try? store.find(run: run, .latest)) else { return nil }
            let runs = RunStore(connection: connection)
            return (try runs.config(run: run), try runs.charset(run: run), record)
        }
        guard let (config, characters, record) = loaded else { return nil }
        let recipe = try RunRecipe(run: run, config: config, characters: characters)
        guard !recipe.isDataset else { return ([], record) }
        let fonts = try services.defaultFonts()
        let url = services.databaseURL
        let lines = try await services.compute { () throws -> [GalleryLine] in
            let source = try recipe.makeSource(fonts: fonts)
            let seed = UInt64(bitPattern: config.validation.seed)
            let rendered = (0..<UInt64(Self.count)).map { source.renderImage(index: $0, seed: seed) }
            let readings = try services.read(rendered.map(\.image), key: "run:\(run):\(record.id)") {
                let connection = try PostgresConnection(url: url, applicationName: "crnnctl ui")
                let bytes = try CheckpointStore(connection: connection).fetch(record)
                return try Checkpoint.decode(bytes, source: "checkpoint \(record.id) of run \(run)")
            }
            return try zip(rendered, readings).map { line, reading in
                GalleryLine(png: try PNGCodec.encode(line.image), truth: recipe.charset.decode(line.label), reading: reading.text)
            }
        }
        return (lines, record)
    }

    static func html(_ lines: [GalleryLine]) -> String {
        let right = lines.filter(\.right).count
        var out = "<p>\(right) of \(lines.count) read right.</p><div class=\"gallery\">"
        for line in lines {
            let mark = line.right ? "<span class=\"right\">✔ right</span>" : "<span class=\"wrong\">✘ wrong</span>"
            out += "<div class=\"line\"><img alt=\"validation line\" src=\"data:image/png;base64,\(Data(line.png).base64EncodedString())\">"
                + "<div>truth: <code>\(HTML.escape(line.truth))</code></div>"
                + "<div>read: <code>\(HTML.escape(line.reading))</code> \(mark)</div></div>"
        }
        return out + "</div>"
    }
}
