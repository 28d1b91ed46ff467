// What the pages read from: PostgreSQL (a connection per request, on NIO's blocking pool, so a
// slow query or a restarting database never holds Swift's cooperative threads), the shipped
// models, and recognizers made from checkpoints (kept while they are used).
import Engine
import Foundation
import Inference
import NIOPosix
import Store
import TextImages

final class UIServices: @unchecked Sendable {
    let databaseURL: String
    let modelsDirectory: String?
    private let lock = NSLock()
    /// Recognizers by key ("run:ID:checkpoint" or "model:NAME"), most recently used last.
    private var recognizers: [(key: String, recognizer: Recognizer, lock: NSLock)] = []
    private var fonts: FontSet?
    /// How many recognizers stay loaded (a seed-preset model is ~95 MB).
    static let recognizersKept = 3

    init(databaseURL: String, modelsDirectory: String?) {
        self.databaseURL = databaseURL
        self.modelsDirectory = modelsDirectory
    }

    /// Runs `body` with a fresh connection on the blocking pool.
    func database<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let url = databaseURL
        return try await NIOThreadPool.singleton.runIfActive {
            let connection = try PostgresConnection(url: url, applicationName: "crnnctl ui")
            return try body(connection)
        }
    }

    /// Runs CPU-bound work (recognition, rendering) on the blocking pool.
    func compute<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }

    var shippedModels: [String] {
        modelsDirectory.map(ShippedModels.names(in:)) ?? []
    }

    /// The default faces, loaded on first use.
    func defaultFonts() throws -> FontSet {
        try lock.withLock {
            if let fonts { return fonts }
            let loaded = try FontSet.load()
            fonts = loaded
            return loaded
        }
    }

    /// Reads `images` with the recognizer cached under `key`, made by `load` when missing.
    /// One reading at a time per recognizer (its model's workspace is not shared).
    func read(_ images: [GreyImage], key: String, load: () throws -> Checkpoint) throws -> [Recognizer.Reading] {
        let (recognizer, using) = try recognizer(key: key, load: load)
        return try using.withLock { try recognizer.read(images) }
    }

    private func recognizer(key: String, load: () throws -> Checkpoint) throws -> (Recognizer, NSLock) {
        if let found = lock.withLock({ () -> (Recognizer, NSLock)? in
            guard let i = recognizers.firstIndex(where: { $0.key == key }) else { return nil }
            let entry = recognizers.remove(at: i)
            recognizers.append(entry)
            return (entry.recognizer, entry.lock)
        }) {
            return found
        }
        let made = try Recognizer(checkpoint: try load(), threads: 1)
        let using = NSLock()
        lock.withLock {
            recognizers.append((key, made, using))
            if recognizers.count > Self.recognizersKept { recognizers.removeFirst() }
        }
        return (made, using)
    }
}
