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
        // Grouped by why, so that a reader knows what to check before granting one.
        let groups = OperationInfo.ConditionKind.allCases.map { kind in
            (kind, notes.mayAlsoNeed.filter { $0.why == kind })
        }.filter { !$0.1.isEmpty }
        switch context {
        case .policy where !groups.isEmpty:
            lines.append("may also need (not granted; see `iamscribe lookup --explain SERVICE OPERATION`):")
            for (kind, entries) in groups {
                lines.append("  \(heading(kind)):")
                for entry in entries {
                    lines.append("    \(entry.action)  (for \(entry.neededBy.joined(separator: ", ")))")
                }
            }
        case .policy:
            break
        case .diff:
            for (kind, entries) in groups {
                for entry in entries {
                    lines.append("may also need \(entry.action) (for \(entry.neededBy.joined(separator: ", ")), \(heading(kind))): "
                                 + "the policies give \(entry.decision ?? "conditional")")
                }
            }
        }
        return lines
    }

    /// Why a group of conditional actions may be needed, as the report says it.
    static func heading(_ kind: OperationInfo.ConditionKind) -> String {
        switch kind {
        case .parameter: "when a parameter the calls did not show is given"
        case .encryptedResource: "when the resource uses a customer managed KMS key"
        case .serviceBehaviour: "depending on the service's behaviour, which the parameters do not show"
        }
    }
}
