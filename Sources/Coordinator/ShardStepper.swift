// The optimiser threads that the shards of one process share. A shard's own thread would step as
// soon as one push is pending; a quarter of the arena steps four times as fast, so four shards
// each with a thread took 2.6× the Adam work of one server at one push a step, and on two cores
// crowded out decoding, pulls and the network (BENCHMARKS.md, "Sharded parameter servers"). With
// K threads for S shards, at most K steps run at once and pushes gather while a shard waits for
// its turn; K = S gives every shard a thread of its own, as on a many-core coordinator.
import Foundation

public final class ShardStepper: @unchecked Sendable {
    private let condition = NSCondition()
    private var cores: [Weak] = []
    /// Cores a thread is stepping now (by identity): no core is stepped by two threads at once.
    private var busy: Set<ObjectIdentifier> = []
    /// A push arrived (or a setting changed) since a thread last looked.
    private var signalled = false
    /// Round-robin start, so that no shard waits behind the others.
    private var next = 0
    private var everAdded = false

    private struct Weak { weak var core: ParameterServerCore? }

    /// - Parameter threads: optimiser steps that may run at once.
    public init(threads: Int) {
        for _ in 0..<max(1, threads) {
            startPosixThread(name: "crnn-optimizer") { [weak self] in
                while let stepper = self, stepper.turn() {}
            }
        }
    }

    /// The default for `shards` shards in this process: one thread per two cores (the rest decode
    /// pushes, encode pulls and carry the network), at most one per shard.
    public static func threads(forShards shards: Int) -> Int {
        max(1, min(shards, ProcessInfo.processInfo.activeProcessorCount / 2))
    }

    func add(_ core: ParameterServerCore) {
        condition.withLock {
            cores.append(Weak(core: core))
            everAdded = true
            signalled = true
            condition.broadcast()
        }
    }

    /// Something changed for one of the cores: a thread looks again.
    func wake() {
        condition.withLock {
            signalled = true
            condition.broadcast()
        }
    }

    /// Steps one due core, or waits up to 0.2 s for a signal. False once every core is gone or stopped.
    private func turn() -> Bool {
        let candidates: [ParameterServerCore]? = condition.withLock {
            cores.removeAll { $0.core?.isStopped ?? true }
            if cores.isEmpty { return everAdded ? nil : [] }
            next = (next + 1) % cores.count
            return (cores[next...] + cores[..<next]).compactMap(\.core).filter { !busy.contains(ObjectIdentifier($0)) }
        }
        guard let candidates else { return false }
        for core in candidates {
            let id = ObjectIdentifier(core)
            guard condition.withLock({ busy.insert(id).inserted }) else { continue }
            let stepped = core.stepIfDue()
            condition.withLock {
                busy.remove(id)
                // Another thread may have passed this core over while it was busy.
                if stepped { signalled = true; condition.broadcast() }
            }
            if stepped { return true }
        }
        condition.lock()
        defer { condition.unlock() }
        if !signalled { _ = condition.wait(until: Date(timeIntervalSinceNow: 0.2)) }
        signalled = false
        return true
    }
}
