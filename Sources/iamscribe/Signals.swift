import Foundation
import Synchronization

/// Signals the recorder reacts to, recorded by async-signal-safe handlers and read by its loop.
enum Signals {
    /// The last stop signal received (SIGINT or SIGTERM), 0 when none.
    static let stop = Atomic<Int32>(0)
    /// Set by SIGHUP; the loop writes the output file and clears it.
    static let hangUp = Atomic<Bool>(false)

    static func install() {
        // A parent may have started us with these signals blocked (threads of a dispatch queue
        // block every signal, and posix_spawn passes the mask on): unblock them, or Ctrl-C and
        // SIGTERM would never reach the handlers below.
        var set = sigset_t()
        sigemptyset(&set)
        for number in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, number) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { signal in Signals.stop.store(signal, ordering: .relaxed) }
        signal(SIGTERM) { signal in Signals.stop.store(signal, ordering: .relaxed) }
        signal(SIGHUP) { _ in Signals.hangUp.store(true, ordering: .relaxed) }
        // A closed terminal or pipe must not kill the recorder before it writes its files.
        signal(SIGPIPE, SIG_IGN)
    }
}

extension Signals {
    /// Spawn attributes that give a child the signal state of a fresh process: nothing blocked,
    /// default handling for the signals iamscribe catches or ignores.
    static func withChildAttributes<T>(_ body: (UnsafePointer<posix_spawnattr_t>) throws -> T) rethrows -> T {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        return try withUnsafePointer(to: &attributes) { try body($0) }
    }
}
