#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import Glibc
import IAMScribeCore

/// Printing helpers: the core never prints, the CLI does.
enum Output {
    /// Writes an error to standard error. Control characters in it are escaped (see
    /// ``TerminalText``): messages quote names from outside.
    static func error(_ message: String) {
        writeError("iamscribe: \(TerminalText.escape(message, keepingNewlines: true))\n")
    }

    /// Writes a line to standard error, control characters escaped as in ``error(_:)``.
    static func note(_ message: String) {
        writeError("\(TerminalText.escape(message, keepingNewlines: true))\n")
    }

    static func write(_ text: String) {
        write(text, to: STDOUT_FILENO)
    }

    /// Writes text to standard error as it is (the live status line's escape sequences).
    static func writeError(_ text: String) {
        write(text, to: STDERR_FILENO)
    }

    /// Writes all of `text`, retrying when a signal interrupts; gives up on any other error (a
    /// closed pipe), as there is nowhere left to say so.
    private static func write(_ text: String, to descriptor: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written > 0 {
                bytes = bytes.dropFirst(written)
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    /// `String(format:)` for numbers (`"%.3f"`), which FoundationEssentials lacks: C's
    /// `vsnprintf`, in the C locale every Swift program starts in (a dot for decimals).
    static func formatted(_ format: String, _ arguments: any CVarArg...) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let count = withVaList(arguments) { vsnprintf(&buffer, buffer.count, format, $0) }
        guard count >= 0 else { return "" }
        return String(decoding: buffer.prefix(min(Int(count), buffer.count - 1)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Prints what the builder saw besides the policy: calls that need no permission, calls the
    /// table cannot map, unknown names (with suggestions for the few shown), and conditional
    /// actions left out.
    static func report(_ builder: PolicyBuilder) {
        for line in NotesRendering.lines(builder.notes.suggesting(from: builder.table), for: .policy) { note(line) }
        for line in resourceLines(builder) { note(line) }
    }

    /// Prints the written policy's size against IAM's quotas (see ``SizeRendering``).
    static func size(_ documents: [PolicyDocument], of policy: PolicyDocument, output: PolicyOutput, files: [String]?) {
        for line in SizeRendering.lines(documents, original: output.minimize ? policy : nil, files: files) { note(line) }
    }

    /// Writes a builder's policy where the policy options say (`--output-file`, split into parts
    /// when it exceeds a quota, or standard output), with its size against IAM's quotas.
    ///
    /// - Parameters:
    ///   - builder: The policy builder.
    ///   - options: The command's policy options.
    ///   - unwritableExit: The exit code when the output file cannot be written.
    static func writePolicy(_ builder: PolicyBuilder, options: PolicyOptions, unwritableExit: Int32) throws {
        let output = options.output
        let document = builder.document
        let documents = output.documents(for: document)
        guard let file = options.outputFile else {
            size(documents, of: document, output: output, files: nil)
            write(output.text(of: documents))
            return
        }
        let files = output.files(of: documents, path: file)
        size(documents, of: document, output: output, files: files.map(\.path))
        do {
            for part in files { try AtomicFile.write(Data(part.text.utf8), to: part.path) }
        } catch {
            self.error("\(error)")
            throw ExitCode(unwritableExit)
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
