import IAMScribeCore

extension Output {
    /// How many diagnostics of one input are shown; the rest are counted. A hostile or random
    /// file can hold millions of bad lines, and the first few say what is wrong.
    static let diagnosticsShown = 20

    /// Writes diagnostics to standard error, one a line (`error: calls.jsonl: line 3: invalid
    /// JSON: ...`), at most ``diagnosticsShown`` of them and then how many more there were.
    ///
    /// - Parameters:
    ///   - diagnostics: The diagnostics, of one input.
    ///   - ceiling: The most serious severity to show: an error the command accepts (the readable
    ///     part of a damaged input counts) is shown as a warning.
    static func diagnostics(_ diagnostics: [Diagnostic], atMost ceiling: Diagnostic.Severity = .error) {
        for diagnostic in diagnostics.prefix(diagnosticsShown) {
            note("\(diagnostic.withSeverity(min(diagnostic.severity, ceiling)))")
        }
        if diagnostics.count > diagnosticsShown {
            let file = diagnostics.last?.location?.file.map { "\($0): " } ?? ""
            note("note: \(file)\(diagnostics.count - diagnosticsShown) more not shown")
        }
    }
}
