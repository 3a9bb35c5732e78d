#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
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
