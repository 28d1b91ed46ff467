import Foundation

/// Threads of their own for tests whose in-process servers and clients must answer promptly.
///
/// Swift's cooperative pool has one thread per core: two on the machines CI runs on. Tests that
/// wait synchronously (a `crnnctl` subprocess, a libpq query, initdb) hold those threads for
/// seconds to minutes, and an in-process parameter server on the same pool then stalls: its
/// peer sees no reply and no close. A test runs its body and its server with a preference for
/// this executor (`withTaskExecutorPreference`, `Task(executorPreference:)`), so they progress
/// whatever the rest of the suite is doing.
public final class DedicatedTaskExecutor: TaskExecutor, @unchecked Sendable {
    /// The executor the network tests share.
    public static let shared = DedicatedTaskExecutor(threads: 2, name: "test-network")

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    public init(threads: Int, name: String) {
        for index in 0..<threads {
            let thread = Thread { [self] in work() }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
