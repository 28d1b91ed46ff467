import Dispatch
import Foundation

/// Set by SIGTERM or SIGINT: the worker finishes its current step, gives its shard back and exits.
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
