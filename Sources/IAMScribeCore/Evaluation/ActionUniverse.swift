/// Every action the IAM data knows, to expand a statement's wildcards and `NotAction` into the
/// actions it grants.
struct ActionUniverse: Sendable {
    let table: ActionTable

    /// The actions an `Action` pattern names, as `prefix:Name`, sorted.
    func expand(_ pattern: String) -> [String] {
        let lowered = pattern.lowercased()
        if !lowered.isEmpty && lowered.allSatisfy({ $0 == "*" }) { return all }
        let parts = lowered.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { return [] }
        let prefixes: [String]
        if parts[0].contains("*") || parts[0].contains("?") {
            let prefixPattern = WildcardPattern(parts[0], variables: false)
            prefixes = table.iamPrefixes.filter { prefixPattern.match(ResourceText($0)) == .yes }
        } else {
            prefixes = [parts[0]]
        }
        let namePattern = WildcardPattern(parts[1], variables: false)
        var found: [String] = []
        for prefix in prefixes {
            guard let service = table.iamService(prefix: prefix) else { continue }
            for action in service.actions where namePattern.match(ResourceText(action.name), caseInsensitive: true) == .yes {
                found.append("\(prefix):\(action.name)")
            }
        }
        return found
    }

    /// Every action, as `prefix:Name`, sorted by prefix then name.
    var all: [String] {
        table.iamPrefixes.flatMap { prefix in (table.iamService(prefix: prefix)?.actions ?? []).map { "\(prefix):\($0.name)" } }
    }

    /// The actions a statement grants (or denies): the expansion of its `Action`, or every action
    /// but those of its `NotAction`.
    func granted(by statement: PolicyStatement) -> [String] {
        if statement.actionsAreExcluded {
            return all.filter { !PolicyEvaluator.actionMatches(statement, $0) }
        }
        var seen = Set<String>()
        var out: [String] = []
        for pattern in statement.actions {
            for action in expand(pattern) where seen.insert(action.lowercased()).inserted { out.append(action) }
        }
        return out
    }
}
