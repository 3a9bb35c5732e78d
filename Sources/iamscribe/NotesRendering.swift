import IAMScribeCore

/// How the notes of resolving calls (``ResolutionNotes``) read as text: the same notes after a
/// policy (`generate`, `record`, `run`, on standard error) and in `diff`'s NOTES.
///
/// Names from outside (unknown services and operations, as a datagram gave them) are escaped
/// for the terminal; the table's own names are printable already.
enum NotesRendering {
    /// Where the notes are shown.
    enum Context {
        /// Beside a policy: calls that did not enter it, conditional actions not granted.
        case policy
        /// In a diff: calls that were not evaluated, and what the policies say of conditional actions.
        case diff
    }

    static func lines(_ notes: ResolutionNotes, for context: Context) -> [String] {
        var lines: [String] = []
        for (name, count) in notes.permissionless.sorted(by: { $0.key < $1.key }) {
            let line = "\(TerminalText.escape(name)) needs no permission (\(plural(count, "call")))"
            lines.append(context == .policy ? "not in the policy: " + line : line)
        }
        for (name, count) in notes.unmapped.sorted(by: { $0.key < $1.key }) {
            let line = "\(TerminalText.escape(name)) maps to no IAM action in the table (\(plural(count, "call")))"
            lines.append(context == .policy ? "warning: \(line); add an override" : "\(line): not evaluated")
        }
        for example in notes.unknown.examples.sorted(by: { $0.name < $1.name }) {
            let line = "\(TerminalText.escape(example.name)): \(TerminalText.escape(example.reason))"
            lines.append(context == .policy ? "warning: " + line : line + ": not evaluated")
        }
        for kind in UnknownNames.Kind.allCases {
            // Fewer examples than the limit means every distinct name is among them.
            let shown = notes.unknown.examples.count { $0.kind == kind }
            guard shown == UnknownNames.examplesPerKind else { continue }
            let line = "\(plural(notes.unknown.calls(kind), "call")) named an unknown \(kind.rawValue); "
                + "only the first \(shown) names are shown"
            lines.append(context == .policy ? "warning: " + line : line + ": not evaluated")
        }
        let mayAlsoNeed = notes.mayAlsoNeed
        switch context {
        case .policy where !mayAlsoNeed.isEmpty:
            lines.append("may also need, depending on parameters the calls did not show (not granted; see `iamscribe lookup`):")
            for entry in mayAlsoNeed {
                lines.append("  \(entry.action)  (for \(entry.neededBy.joined(separator: ", ")))")
            }
        case .policy:
            break
        case .diff:
            for entry in mayAlsoNeed {
                lines.append("may also need \(entry.action) (for \(entry.neededBy.joined(separator: ", ")), depending on the call's "
                             + "parameters): the policies give \(entry.decision ?? "conditional")")
            }
        }
        return lines
    }
}
