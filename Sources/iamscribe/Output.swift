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
    }

    /// Prints the written policy's size against IAM's quotas (see ``SizeRendering``).
    static func size(_ documents: [PolicyDocument], of policy: PolicyDocument, output: PolicyOutput, files: [String]?) {
        for line in SizeRendering.lines(documents, original: output.minimize ? policy : nil, files: files) { note(line) }
    }
}
