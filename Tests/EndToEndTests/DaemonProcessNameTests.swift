import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// The daemons re-execute themselves once to tune OpenBLAS; they used to re-execute
    /// /proc/self/exe, so `ps` and `top` showed every daemon as `exe`.
    @Suite struct DaemonProcessNameTests {
        @Test func aWorkerKeepsItsNameAfterTheOpenBLASReexec() async throws {
            let cluster = try Cluster()
            let worker = try ChildProcess(
                ["/usr/bin/env", "-u", "OPENBLAS_THREAD_TIMEOUT", BuiltProducts.path("crnn-worker"), "--threads", "1"],
                environment: cluster.environment, logPath: cluster.directory + "/worker.log")
            defer { worker.signal(SIGTERM); _ = worker.waitBlocking(seconds: 20) }
            // Re-executed: the tuning variable is in the process's environment now.
            let reexecuted = try await waitUntil(timeout: 30, interval: 0.1) {
                let environ = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(worker.pid)/environ"))) ?? Data()
                return environ.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == "OPENBLAS_THREAD_TIMEOUT=4" }
            }
            #expect(reexecuted, "\(worker.log)")
            let name = try String(contentsOfFile: "/proc/\(worker.pid)/comm", encoding: .utf8)
            #expect(name == "crnn-worker\n", "process name \(name.debugDescription)")
        }
    }
}
