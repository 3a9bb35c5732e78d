#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// The state of a live recording: the policy as it grows, the journal, and a change counter.
///
/// Sources add calls from their threads; the recorder takes snapshots to redraw the terminal and
/// rewrite the output file when ``version`` moved. Everything is behind one lock.
///
/// While a session journal is being loaded (``beginLoading()``), arriving calls are journaled at
/// once but held back from the policy, so the journal's calls come first in the policy (which
/// matters for `--order first-seen`) and nothing that arrives during the load is lost.
public final class Recording: Sendable {
    private struct State {
        var builder: PolicyBuilder
        var journal: SessionJournalWriter?
        var version = 0
        var journalError: String?
        /// Calls that arrived while the journal was loading, in order.
        var held: [ObservedCall]?
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
            for call in calls { state.journal?.append(call) }
            if state.held != nil {
                state.held?.append(contentsOf: calls)
                return
            }
            for call in calls where state.builder.add(call) { state.version += 1 }
        }
    }

    /// Holds arriving calls back from the policy until ``finishLoading(_:)``.
    public func beginLoading() {
        state.withLock { if $0.held == nil { $0.held = [] } }
    }

    /// Puts calls loaded from a journal into the policy, then the calls held back meanwhile.
    ///
    /// The policy is built outside the lock, so sources are not kept waiting by a long journal.
    ///
    /// - Parameter previous: The journal's calls (they are not journaled again).
    public func finishLoading(_ previous: [ObservedCall]) {
        var builder = state.withLock { $0.builder }
        var changed = builder.add(contentsOf: previous)
        while true {
            let held: [ObservedCall] = state.withLock { state in
                let held = state.held ?? []
                if held.isEmpty {
                    state.builder = builder
                    state.held = nil
                    if changed { state.version += 1 }
                } else {
                    state.held = []
                }
                return held
            }
            if held.isEmpty { return }
            if builder.add(contentsOf: held) { changed = true }
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
