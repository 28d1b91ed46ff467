// "Read an image": upload a PNG or JPEG, pick a shipped model or a run's best checkpoint, see
// the text. The upload is decoded under the same limits as `crnnctl predict`.
import Engine
import Foundation
import HTTPTypes
import Inference
import MultipartKit
import NIOCore
import NIOHTTP1
import Store
import TextImages

enum ReadPage {
    /// A model the form offers: `model:NAME` (shipped) or `run:ID` (that run's best checkpoint).
    struct Choice: Sendable {
        let value: String
        let label: String
    }

    /// What the form sends.
    struct Form {
        var model: String
        var image: MultipartPart

        /// - Throws: `ReadError` when a field is missing; MultipartKit's errors for a body that is
        ///   not multipart.
        init(body: ByteBuffer, boundary: String) throws {
            var parts: [String: MultipartPart] = [:]
            var headers = HTTPHeaders()
            var content = ByteBuffer()
            let parser = MultipartParser(boundary: boundary)
            parser.onHeader = { name, value in headers.add(name: name, value: value) }
            parser.onBody = { chunk in content.writeBuffer(&chunk) }
            parser.onPartComplete = {
                let part = MultipartPart(headers: headers, body: content)
                if let name = part.name, parts[name] == nil { parts[name] = part }
                headers = HTTPHeaders()
                content = ByteBuffer()
            }
            try parser.execute(body)
            guard let image = parts["image"], image.body.readableBytes > 0 else { throw ReadError("choose an image file to read") }
            guard let model = parts["model"] else { throw ReadError("choose a model to read with") }
            self.image = image
            self.model = String(buffer: model.body)
        }
    }

    /// The shipped models, then runs that have a checkpoint (newest first, 50 at most).
    static func choices(services: UIServices) async throws -> [Choice] {
        let shipped = services.shippedModels.map { Choice(value: "model:\($0)", label: "shipped model \($0)") }
        let runs = try await services.database { connection -> [Choice] in
            let checkpoints = CheckpointStore(connection: connection)
            return try RunStore(connection: connection).list().sorted { $0.run > $1.run }.prefix(50).compactMap { run in
                guard let best = try? checkpoints.find(run: run.run, .best) else { return nil }
                return Choice(value: "run:\(run.run)", label: "run \(run.run) (\(run.name)), best checkpoint, step \(best.step)")
            }
        }
        return shipped + runs
    }

    static func html(choices: [Choice], selected: String? = nil, result: String? = nil) -> String {
        var body = "<h1>Read an image</h1>"
        if let result { body += result }
        if choices.isEmpty {
            body += "<p>No model to read with: no shipped model was found and no run has a checkpoint yet.</p>"
        } else {
            let options = choices.map {
                "<option value=\"\(HTML.escape($0.value))\"\($0.value == selected ? " selected" : "")>\(HTML.escape($0.label))</option>"
            }.joined()
            body += """
                <form method="post" action="/read" enctype="multipart/form-data">
                <p><label>Image (PNG or JPEG, one line of text): <input type="file" name="image" accept="image/png,image/jpeg" required></label></p>
                <p><label>Model: <select name="model">\(options)</select></label></p>
                <p><button type="submit">Read</button></p>
                </form>
                """
        }
        return HTML.page(title: "Read an image", body: body)
    }

    /// The upload's reading, as markup; errors (no image, not an image, too large, unknown
    /// model) are said in the page with a 4xx status, never a crash.
    static func read(body: ByteBuffer, contentType: String?, services: UIServices)
        async -> (html: String, selected: String?, status: HTTPResponse.Status) {
        let form: Form
        do {
            guard let contentType, let boundary = boundary(of: contentType) else {
                throw ReadError("the form must be sent as multipart/form-data")
            }
            form = try Form(body: body, boundary: boundary)
        } catch let error as ReadError {
            return (errorBox(error.message), nil, .badRequest)
        } catch {
            return (errorBox("the form could not be read: it needs an image file and a model"), nil, .badRequest)
        }
        let fileName = uploadName(form.image) ?? "the upload"
        let bytes = Array(form.image.body.readableBytesView)
        do {
            let image = try ImageFile.decode(bytes, name: fileName)
            let reading = try await services.compute {
                try services.read([image], key: form.model) { try loadCheckpoint(form.model, services: services) }
            }
            guard let first = reading.first else { throw ReadError("no reading") }
            return ("<p>\(HTML.escape(fileName)) (\(image.width)×\(image.height) px) reads:</p>"
                    + "<p class=\"reading\">\(HTML.escape(first.text))</p>"
                    + "<p>confidence \(String(format: "%.3f", first.confidence))</p>", form.model, .ok)
        } catch let error as ReadError {
            return (errorBox(error.message), form.model, .badRequest)
        } catch let error as ImageError {
            return (errorBox("\(error)"), form.model, .badRequest)
        } catch {
            return (errorBox("\(error)"), form.model, .internalServerError)
        }
    }

    /// The checkpoint `choice` names.
    static func loadCheckpoint(_ choice: String, services: UIServices) throws -> Checkpoint {
        if choice.hasPrefix("model:") {
            let name = String(choice.dropFirst(6))
            guard let directory = services.modelsDirectory, ShippedModels.names(in: directory).contains(name) else {
                throw ReadError("no shipped model named \(name)")
            }
            return try Checkpoint.load(path: directory + "/" + name + ".crnn")
        }
        if choice.hasPrefix("run:"), let run = Int64(choice.dropFirst(4)) {
            let connection = try PostgresConnection(url: services.databaseURL, applicationName: "crnnctl ui")
            let store = CheckpointStore(connection: connection)
            let record = try store.find(run: run, .best)
            return try Checkpoint.decode(try store.fetch(record), source: "checkpoint \(record.id) of run \(run)")
        }
        throw ReadError("unknown model choice \(choice)")
    }

    static func boundary(of contentType: String) -> String? {
        guard contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        return parameter("boundary", of: contentType)
    }

    /// The value of `name=value` (quotes removed) among a header's `;`-separated parameters.
    static func parameter(_ name: String, of header: String) -> String? {
        for parameter in header.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == name {
                let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }

    /// The file name the browser sent in the part's Content-Disposition.
    static func uploadName(_ part: MultipartPart) -> String? {
        part.headers.first(name: "Content-Disposition").flatMap { parameter("filename", of: $0) }
    }

    static func errorBox(_ message: String) -> String { "<p class=\"error\">\(HTML.escape(message))</p>" }

    struct ReadError: Error, CustomStringConvertible {
        let message: String
        init(_ message: String) { self.message = message }
        var description: String { message }
    }
}
