import Foundation
import IAMScribeCore

/// Printing helpers: the core never prints, the CLI does.
enum Output {
    /// Writes an error to standard error. Control characters in it are escaped (see
    /// ``TerminalText``): messages quote names from outside.
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("iamscribe: \(TerminalText.escape(message, keepingNewlines: true))\n".utf8))
    }

    /// Writes a line to standard error, control characters escaped as in ``error(_:)``.
    static func note(_ message: String) {
        FileHandle.standardError.write(Data("\(TerminalText.escape(message, keepingNewlines: true))\n".utf8))
    }

    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Prints what the builder saw besides the policy: calls that need no permission, calls the
    /// table cannot map, unknown names (with suggestions for the few shown), and conditional
    /// actions left out.
    static func report(_ builder: PolicyBuilder) {
        for line in NotesRendering.lines(builder.notes.suggesting(from: builder.table), for: .policy) { note(line) }
        for line in resourceLines(builder) { note(line) }
        let size = builder.document.quotaSize
        if size > 6144 {
            note("warning: the policy has \(size) characters without white space; a managed policy holds 6,144")
        }
    }

    /// What the resources of a policy rest on: the account derived from key ids, an unknown
    /// account, and the actions that stayed on "*" beside statements that name resources.
    static func resourceLines(_ builder: PolicyBuilder) -> [String] {
        var lines: [String] = []
        let derived = builder.derivedAccounts
        if !derived.isEmpty {
            lines.append("resources: account \(derived.joined(separator: ", ")) from the access key id\(derived.count == 1 ? "" : "s") (--account-id to set it)")
        }
        if builder.accountUnknown {
            lines.append("resources: the account is unknown (no --account-id, and the key ids encode none): ARNs have * for it")
        }
        for (action, why) in builder.actionsOnAny {
            lines.append("resources: \(action) stays on \"*\": \(why.rawValue)")
        }
        return lines
    }
}
