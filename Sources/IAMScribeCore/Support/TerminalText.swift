/// Makes text that came from outside (service and operation names from CSM datagrams, names in
/// captures and policy files) safe to show on a terminal.
///
/// A name can hold anything a JSON string can: ESC starts a terminal control sequence (move the
/// cursor, rewrite a line, set the window title), BEL rings, a right-to-left override (U+202E)
/// reorders what follows it, a newline forges a line of its own. Every such character is shown as
/// an escape instead (`\u{1B}`, `\u{202E}`), so what reaches the terminal is the text itself.
/// The pcap path never lets such bytes in at all (a TLS server name must be printable ASCII);
/// names from CSM and journals are kept as sent, so they are escaped where they are shown.
public enum TerminalText {
    /// `text` with every control and format character shown as an escape.
    ///
    /// Escaped: C0 controls (newline and tab included, unless kept), DEL, C1 controls, and the
    /// invisible format characters (bidirectional controls such as U+202E, zero-width characters)
    /// and line and paragraph separators. Printable ASCII, the common case, is returned as it is
    /// without a copy.
    ///
    /// - Parameters:
    ///   - text: Text that may come from outside.
    ///   - keepingNewlines: Whether a newline (U+000A) stays a newline, for text made of lines
    ///     whose untrusted parts were escaped already.
    /// - Returns: The text, safe to write to a terminal.
    public static func escape(_ text: String, keepingNewlines: Bool = false) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 >= 0x7F }) else { return text }
        guard text.unicodeScalars.contains(where: { needsEscape($0) && !(keepingNewlines && $0 == "\n") }) else {
            return text
        }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) && !(keepingNewlines && scalar == "\n") {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Whether a character could act on a terminal or on the order or look of text around it
    /// rather than show as itself.
    ///
    /// - Parameter scalar: A character.
    /// - Returns: Whether ``escape(_:keepingNewlines:)`` escapes it.
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) { return true }
        if scalar.value < 0xA0 { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }

    /// `text` cut to at most `limit` characters (Unicode scalars), with an ellipsis when cut:
    /// a name from outside can be kilobytes long.
    ///
    /// - Parameters:
    ///   - text: The text.
    ///   - limit: The most characters kept.
    /// - Returns: The text, or its start and `…`.
    public static func cut(_ text: String, to limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var scalars = text.unicodeScalars.makeIterator()
        var out = String.UnicodeScalarView()
        for _ in 0..<limit {
            guard let scalar = scalars.next() else { return text }
            out.append(scalar)
        }
        guard scalars.next() != nil else { return text }
        return String(out) + "…"
    }
}
