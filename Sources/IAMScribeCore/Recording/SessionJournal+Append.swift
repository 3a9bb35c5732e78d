#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension SessionJournal {
    /// What ``append(_:toJournalAt:)`` did.
    public struct Appended: Sendable {
        /// The calls the journal held before (its readable lines), in order.
        public var previous: [ObservedCall]
        /// How many calls were written.
        public var added: Int
        /// How many calls the journal held already (the same call at any time), so not written again.
        public var present: Int
        /// Lines of the journal that could not be read, as warnings: the journal is kept and
        /// appended to all the same, as a recorder continuing it would.
        public var diagnostics: [Diagnostic]
    }

    /// Appends calls learned elsewhere (a CloudTrail trail) to a session journal, creating it
    /// when needed, so that the session's policy is the union of what was recorded live and what
    /// the trail shows. Calls the journal holds already are not written again, whatever their time.
    ///
    /// - Parameters:
    ///   - calls: The calls to add.
    ///   - path: The journal (mode 0600 when created).
    /// - Returns: The journal's earlier calls and what was written.
    /// - Throws: ``IAMScribeError``: the file cannot be opened, is not a journal, or cannot be written.
    public static func append(_ calls: [ObservedCall], toJournalAt path: String) throws -> Appended {
        let writer = try SessionJournalWriter(path: path)
        var previous: [ObservedCall] = []
        var diagnostics: [Diagnostic] = []
        if writer.loadableBytes > 0 {
            let bytes = try InputFile.read(path: path, upTo: writer.loadableBytes)
            let read = SessionJournal.read(bytes)
            previous = read.calls
            diagnostics = read.diagnostics.map { $0.inFile(path).withSeverity(min($0.severity, .warning)) }
        }
        func timeless(_ call: ObservedCall) -> ObservedCall {
            var copy = call
            copy.time = Date(timeIntervalSince1970: 0)
            return copy
        }
        var seen = Set(previous.map(timeless))
        var added = 0
        for call in calls where seen.insert(timeless(call)).inserted {
            writer.append(call)
            added += 1
        }
        try writer.flush()
        return Appended(previous: previous, added: added, present: calls.count - added, diagnostics: diagnostics)
    }
}
