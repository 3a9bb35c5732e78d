/// The resources a policy builder found for each action, by resource type, and the actions that
/// stay on `"*"`: mergeable across threads, grouped into statements by ``PolicyBuilder/document``.
public struct ResourceSet: Sendable {
    /// Why an action stays on `"*"`.
    public enum AnyReason: String, Sendable, Hashable {
        /// The action has no resource types (a list action): `"*"` is its only resource.
        case noResourceType = "it has no resource types"
        /// Some call of the action carried no parameters (CSM): its resources are unknown.
        case parametersUnknown = "a call of it carried no parameters (CSM); --resource-placeholders writes its ARN templates to fill in"
        /// The IAM data does not list the action, so nothing is known of its resources.
        case notInIAMData = "the IAM data does not list its resources"
    }

    /// Resources by action, then by resource type.
    private var byAction: [String: [String: Set<String>]] = [:]
    /// The actions on `"*"` and why (the first reason kept).
    private(set) var onAny: [String: AnyReason] = [:]
    /// Accounts derived from access key ids.
    var derivedAccounts: Set<String> = []
    /// Whether some resource of a call with parameters has an unknown account.
    var accountUnknown = false

    /// Puts an action on `"*"`.
    ///
    /// - Returns: Whether that is new.
    mutating func stayOnAny(_ action: String, _ why: AnyReason) -> Bool {
        guard onAny[action] == nil else { return false }
        onAny[action] = why
        return true
    }

    /// The most resources of one type kept for one action: beyond, they are collapsed to
    /// ``collapsedSize`` patterns as they come (a recording of millions of distinct objects keeps
    /// its memory), which may then be wider than collapsing them all at once would give.
    static let keptLimit = 4096
    static let collapsedSize = 1024

    /// Adds a resource (a policy pattern) of a type to an action.
    ///
    /// - Returns: Whether it is new.
    mutating func add(_ resource: String, type: String, to action: String) -> Bool {
        guard byAction[action, default: [:]][type, default: []].insert(resource).inserted else { return false }
        if let kept = byAction[action]?[type], kept.count > Self.keptLimit {
            byAction[action]?[type] = Set(Self.collapse(Array(kept), cutoff: Self.collapsedSize))
        }
        return true
    }

    /// Takes in another set.
    ///
    /// - Returns: Whether this one changed.
    mutating func merge(_ other: ResourceSet) -> Bool {
        var changed = false
        for (action, why) in other.onAny where onAny[action] == nil {
            onAny[action] = why
            changed = true
        }
        for (action, types) in other.byAction {
            for (type, resources) in types {
                let before = byAction[action]?[type]?.count ?? 0
                byAction[action, default: [:]][type, default: []].formUnion(resources)
                if byAction[action]?[type]?.count != before { changed = true }
                if let kept = byAction[action]?[type], kept.count > Self.keptLimit {
                    byAction[action]?[type] = Set(Self.collapse(Array(kept), cutoff: Self.collapsedSize))
                }
            }
        }
        derivedAccounts.formUnion(other.derivedAccounts)
        accountUnknown = accountUnknown || other.accountUnknown
        return changed
    }

    /// The resources of an action, sorted: `["*"]` when it stays on `"*"` or none was found;
    /// more than `cutoff` of one type collapsed (see ``collapse(_:cutoff:)``).
    func resources(of action: String, cutoff: Int) -> [String] {
        guard onAny[action] == nil, let types = byAction[action], !types.isEmpty else { return ["*"] }
        var all: Set<String> = []
        for resources in types.values {
            all.formUnion(resources.count > cutoff ? Self.collapse(Array(resources), cutoff: cutoff) : Array(resources))
        }
        return all.sorted()
    }

    /// The narrowest patterns, at most `cutoff` of them, that cover the resources: the sorted
    /// resources are cut into runs whose neighbours share the longest prefixes, and each run of
    /// several becomes its common prefix and `*` (`bucket/logs/2026-11-01.gz` …
    /// `bucket/logs/2026-11-30.gz` give `bucket/logs/2026-11-*`). Never wider than needed: a
    /// resource alone in its run stays as it is.
    ///
    /// - Parameters:
    ///   - resources: Policy patterns (unknown parts already `*`).
    ///   - cutoff: The most patterns wanted (at least 1).
    public static func collapse(_ resources: [String], cutoff: Int) -> [String] {
        let sorted = Array(Set(resources)).sorted().map { Array($0.unicodeScalars) }
        guard sorted.count > max(cutoff, 1) else { return sorted.map(string) }
        // The common prefix length of each resource with the next.
        let shared = zip(sorted, sorted.dropFirst()).map { pair in
            zip(pair.0, pair.1).prefix { $0 == $1 }.count
        }
        // The longest threshold at which cutting between neighbours that share less gives at
        // most `cutoff` runs: at most cutoff - 1 neighbours may share less than it.
        let threshold = shared.sorted()[max(cutoff, 1) - 1]
        var patterns: [String] = []
        var run: [[Unicode.Scalar]] = [sorted[0]]
        var runPrefix = sorted[0].count
        func close() {
            if run.count == 1 {
                patterns.append(string(run[0]))
            } else {
                var prefix = String(String.UnicodeScalarView(run[0].prefix(runPrefix)))
                // A prefix ending inside a `*` already covers the rest.
                if !prefix.hasSuffix("*") { prefix += "*" }
                patterns.append(prefix)
            }
        }
        for index in 1..<sorted.count {
            if shared[index - 1] >= threshold {
                run.append(sorted[index])
                runPrefix = min(runPrefix, shared[index - 1])
            } else {
                close()
                run = [sorted[index]]
                runPrefix = sorted[index].count
            }
        }
        close()
        return patterns
    }

    private static func string(_ scalars: [Unicode.Scalar]) -> String {
        String(String.UnicodeScalarView(scalars))
    }
}
