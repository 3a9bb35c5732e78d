import CSocketShims
import Glibc

/// Starts a named, detached operating-system thread: what Foundation's `Thread` did for the CSM
/// listener and the live capture, without linking Foundation (see README, "Install").
///
/// A thread of its own, rather than a task or a dispatch queue: each runs a loop that blocks in
/// `recvmmsg` or libpcap for as long as the recording lasts.
enum OSThread {
    /// What the new thread runs, handed to it through `pthread_create`'s context pointer.
    private final class Work: Sendable {
        let name: String
        let body: @Sendable () -> Void

        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Starts `body` on a new thread named `name` (cut to the 15 bytes Linux keeps).
    ///
    /// - Throws: ``IAMScribeError`` with code `.system` when the thread cannot be created.
    static func start(name: String, _ body: @escaping @Sendable () -> Void) throws {
        // The new thread takes over this reference; it is released here only when there is none.
        let context = Unmanaged.passRetained(Work(name: name, body: body))
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { pointer in
            guard let pointer else { return nil }
            let work = Unmanaged<Work>.fromOpaque(pointer).takeRetainedValue()
            _ = iamscribe_set_thread_name(String(decoding: work.name.utf8.prefix(15), as: UTF8.self))
            work.body()
            return nil
        }, context.toOpaque())
        guard result == 0 else {
            context.release()
            throw IAMScribeError(.system, "cannot start the \(name) thread: \(String(cString: strerror(result)))")
        }
        pthread_detach(thread)
    }
}
