import Foundation
import Synchronization

/// The state of a live recording: the policy as it grows, the journal, and a change counter.
///
/// Listeners add calls from their threads; the recorder's loop takes snapshots to redraw the
/// terminal and rewrite the output file when ``version`` moved. Everything is behind one lock.
public final class Recording: Sendable {
    private struct State {
        var builder: PolicyBuilder
        var journal: SessionJournalWriter?
        var version = 0
        var journalError: String?
    }

    private let state: Mutex<State>

    /// Creates a recording.
    ///
    /// - Parameters:
    ///   - builder: The policy builder (its options say which calls count).
    ///   - journal: Where to append each call, if anywhere.
    public init(builder: PolicyBuilder, journal: sending SessionJournalWriter? = nil) {
        state = Mutex(State(builder: builder, journal: journal))
    }

    /// Adds calls as they arrive: each is appended to the journal and offered to the policy.
    public func add(_ calls: [ObservedCall]) {
        state.withLock { state in
            for call in calls {
                state.journal?.append(call)
                if state.builder.add(call) { state.version += 1 }
            }
        }
    }

    /// Writes buffered journal lines.
    ///
    /// - Returns: An error message when the write failed (the lines stay buffered), else nil.
    @discardableResult
    public func flushJournal() -> String? {
        state.withLock { state in
            do {
                try state.journal?.flush()
                state.journalError = nil
            } catch {
                state.journalError = "\(error)"
            }
            return state.journalError
        }
    }

    /// How many times the policy has changed; compare snapshots to decide whether to redraw.
    public var version: Int { state.withLock { $0.version } }

    /// A copy of the builder: the document, its actions and its report.
    public var snapshot: PolicyBuilder { state.withLock { $0.builder } }
}
