import Foundation

/// Runs `body` on a new, detached POSIX thread (`name` says which, in a failure message).
///
/// Not Foundation's `Thread`: in the busy test process one `Thread` in about thirty never ran its
/// block (its start was requested, the block never entered), and the parameter server it was
/// to drive waited for ever. A thread created with `pthread_create` either runs or fails here.
func startPosixThread(name: String, _ body: @escaping @Sendable () -> Void) {
    final class Body { let run: @Sendable () -> Void; init(_ run: @escaping @Sendable () -> Void) { self.run = run } }
    let context = Unmanaged.passRetained(Body(body)).toOpaque()
    var thread = pthread_t()
    let code = pthread_create(&thread, nil, { raw in
        let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
        body.run()
        return nil
    }, context)
    precondition(code == 0, "cannot start thread \(name): \(String(cString: strerror(code)))")
    pthread_detach(thread)
}
