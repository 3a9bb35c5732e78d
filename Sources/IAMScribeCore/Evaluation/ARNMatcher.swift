/// Matches ARNs against policy patterns the way IAM does for `Resource` and the `Arn` operators.
///
/// The first five colons split an ARN into six parts (`arn`, partition, service, region, account,
/// resource); each part is matched on its own, so a wildcard never spans a colon there, while the
/// resource part may itself hold `:` and `/`. A pattern of only `*` matches everything, the
/// resource `*` included. A pattern or subject that is not a six-part ARN is matched as one
/// string.
enum ARNMatcher {
    static func match(_ pattern: WildcardPattern, _ resource: ResourceText) -> Truth {
        if pattern.matchesEverything { return .yes }
        if resource.knownText == "*" { return .no }
        let subject = resource.tokens(lowercased: false)
        let patternParts = split(pattern.tokens) { $0 == .scalar(":") }
        let subjectParts = split(subject) { $0 == .scalar(":") }
        guard patternParts.count == 6, subjectParts.count == 6 else {
            return WildcardPattern.match(pattern.tokens, subject, caseInsensitive: false)
        }
        return Truth.all(0..<6) { WildcardPattern.match(patternParts[$0], subjectParts[$0], caseInsensitive: false) }
    }

    /// Splits at the first five separators.
    private static func split<T>(_ tokens: [T], isSeparator: (T) -> Bool) -> [[T]] {
        var parts: [[T]] = [[]]
        for token in tokens {
            if parts.count < 6, isSeparator(token) {
                parts.append([])
            } else {
                parts[parts.count - 1].append(token)
            }
        }
        return parts
    }
}
