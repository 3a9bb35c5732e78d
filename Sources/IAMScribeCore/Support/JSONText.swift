/// Helpers for writing JSON by hand where output order and speed matter (policies, journals,
/// `lookup --batch`).
public enum JSONText {
    /// `text` as a JSON string literal, quotes included.
    public static func quote(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || (scalar.value >= 0x7F && TerminalText.needsEscape(scalar)):
                // Control and invisible format characters (ESC, U+202E) are escaped too, so the
                // JSON shows as itself on a terminal (see ``escapeInvisibles(_:)``).
                appendEscape(scalar, to: &out)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// JSON text (from `JSONEncoder`, which escapes only what JSON requires) with the characters
    /// that act on a terminal or reorder text (DEL, C1 controls, U+202E and the other format
    /// characters) written as `\u` escapes: the same JSON value, shown as itself.
    ///
    /// Such characters can only stand inside strings in valid JSON, where an escape means the
    /// same character.
    ///
    /// - Parameter json: Valid JSON text.
    /// - Returns: The same JSON with those characters escaped.
    public static func escapeInvisibles(_ json: String) -> String {
        guard json.utf8.contains(where: { $0 >= 0x7F }),
              json.unicodeScalars.contains(where: { $0.value >= 0x7F && TerminalText.needsEscape($0) }) else { return json }
        var out = ""
        out.reserveCapacity(json.utf8.count + 16)
        for scalar in json.unicodeScalars {
            if scalar.value >= 0x7F && TerminalText.needsEscape(scalar) {
                appendEscape(scalar, to: &out)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Appends `\uXXXX` for a character, as a surrogate pair beyond the Basic Multilingual Plane.
    private static func appendEscape(_ scalar: Unicode.Scalar, to out: inout String) {
        func unit(_ value: UInt32) {
            let hex = String(value, radix: 16)
            out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
        if scalar.value > 0xFFFF {
            let value = scalar.value - 0x10000
            unit(0xD800 + (value >> 10))
            unit(0xDC00 + (value & 0x3FF))
        } else {
            unit(scalar.value)
        }
    }

    /// A JSON array of strings on one line.
    public static func list(_ items: [String]) -> String {
        "[" + items.map(quote).joined(separator: ",") + "]"
    }

    /// The text of a JSON string's content with its escapes resolved (`\n`, `\u00e9`, surrogate
    /// pairs), or nil when an escape is malformed.
    ///
    /// - Parameter bytes: The bytes between the quotes.
    public static func unescape(_ bytes: UnsafeRawBufferPointer) -> String? {
        var output: [UInt8] = []
        do {
            try JSONEscape.unescape(bytes, into: &output, halfSurrogates: .replace)
        } catch {
            return nil
        }
        return String(decoding: output, as: UTF8.self)
    }
}
