import Dispatch
import Foundation

/// Set by SIGTERM or SIGINT: a daemon finishes what it is doing and exits (the worker its current
/// step, giving its shard back; the coordinator its current tick).
public final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private var sources: [DispatchSourceSignal] = []

    public init() {}

    public var isSet: Bool { lock.withLock { stopped } }

    public func set() { lock.withLock { stopped = true } }

    /// Routes SIGTERM and SIGINT to this flag instead of killing the process.
    public func installHandlers(onSignal: @escaping @Sendable (Int32) -> Void = { _ in }) {
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                self?.set()
                onSignal(number)
            }
            source.resume()
            sources.append(source)
        }
    }
}
