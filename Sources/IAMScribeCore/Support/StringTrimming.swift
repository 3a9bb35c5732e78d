/// Trimming and character classes that FoundationEssentials does not offer: the released binary
/// links only FoundationEssentials, not Foundation (whose internationalization data would add
/// about 60 MB; see README, "Install").
///
/// Each matches the Foundation call it replaces, unicode scalar by unicode scalar (a test compares
/// them): `trimmingWhitespace()` is `trimmingCharacters(in: .whitespaces)` (general category Zs,
/// tab, and U+200B ZERO WIDTH SPACE, which Foundation counts too), `trimmingWhitespaceAndNewlines()`
/// is `trimmingCharacters(in: .whitespacesAndNewlines)` (the Unicode White_Space property, and
/// U+200B), `Unicode.Scalar.isAlphanumeric` is `CharacterSet.alphanumerics.contains(_:)` (general
/// categories L*, M* and N*; from the standard library's Unicode data, which is newer than
/// Foundation's: they differ only on scalars assigned since Unicode 9, none of them in the names
/// it normalizes).
extension StringProtocol {
    /// The string without leading and trailing spaces and tabs (general category Zs, and U+0009).
    package func trimmingWhitespace() -> String {
        trimming(where: \.isWhitespaceInLine)
    }

    /// The string without leading and trailing white space, line breaks included.
    package func trimmingWhitespaceAndNewlines() -> String {
        trimming(where: { $0.properties.isWhitespace || $0 == "\u{200B}" })
    }

    /// The runs of the string between spaces and tabs: `components(separatedBy: .whitespaces)`
    /// without the empty ones.
    package func splitOnWhitespace() -> [String] {
        unicodeScalars.split(whereSeparator: \.isWhitespaceInLine).map { String(String.UnicodeScalarView($0)) }
    }

    /// The string without leading and trailing scalars in `set`.
    package func trimming(_ set: Set<Unicode.Scalar>) -> String {
        trimming(where: { set.contains($0) })
    }

    private func trimming(where isTrimmed: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !isTrimmed($0) }),
              let last = scalars.lastIndex(where: { !isTrimmed($0) }) else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}

extension Unicode.Scalar {
    /// Whether the scalar is a space (general category Zs), a tab or U+200B ZERO WIDTH SPACE:
    /// `CharacterSet.whitespaces`.
    package var isWhitespaceInLine: Bool {
        self == "\t" || self == "\u{200B}" || properties.generalCategory == .spaceSeparator
    }

    /// Whether the scalar is a letter, a mark or a number (what `CharacterSet.alphanumerics` holds).
    package var isAlphanumeric: Bool {
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark,
             .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return false
        }
    }
}

/// A folder's path joined with a name inside it (what `NSString.appendingPathComponent` did).
package func joinedPath(_ folder: String, _ name: String) -> String {
    folder.isEmpty ? name : folder.hasSuffix("/") ? folder + name : folder + "/" + name
}
