/// What `diff` found: the calls a policy would not allow, what it grants that no call used, and
/// the wildcards it could narrow. The JSON form is documented in the README (`## diff`).
public struct DiffReport: Sendable, Codable, Hashable {
    /// A statement to paste into a policy, in IAM's own spelling.
    public struct SuggestedStatement: Sendable, Codable, Hashable {
        /// Always `Allow`.
        public var effect: String
        /// The actions.
        public var action: [String]
        /// The resources.
        public var resource: [String]
        /// The conditions kept from the statement it replaces: operator, then key, then values.
        public var condition: [String: [String: [String]]]?

        /// Creates a statement.
        public init(effect: String = "Allow", action: [String], resource: [String], condition: [String: [String: [String]]]? = nil) {
            self.effect = effect
            self.action = action
            self.resource = resource
            self.condition = condition
        }

        enum CodingKeys: String, CodingKey {
            case effect = "Effect", action = "Action", resource = "Resource", condition = "Condition"
        }
    }

    /// One action on one resource that the policy would not (or not surely) allow.
    public struct Missing: Sendable, Codable, Hashable {
        /// The action.
        public var action: String
        /// The resource, unknown parts as `${Name}`.
        public var resource: String
        /// `deny` or `conditional`.
        public var decision: String
        /// `explicit-deny`, `implicit-deny` or `conditional`.
        public var outcome: Decision.Outcome
        /// Why.
        public var reason: String
        /// The deciding statements.
        public var statements: [PolicyStatement.Reference]
        /// What a conditional outcome depends on.
        public var dependsOn: [String]
        /// How many observed calls needed it.
        public var calls: Int
        /// The operations that needed it, `Service Operation`.
        public var operations: [String]
        /// What to do about it, in a sentence.
        public var fix: String
        /// The statement that would allow it; nil when a Deny decides (an Allow cannot override it).
        public var add: SuggestedStatement?
    }

    /// How many actions one pattern of a statement grants, and which of them calls used.
    public struct PatternUsage: Sendable, Codable, Hashable {
        /// The pattern as written.
        public var pattern: String
        /// How many known actions it names.
        public var granted: Int
        /// Those the calls used, through this statement.
        public var used: [String]
    }

    /// A statement's granted actions that no observed call used.
    public struct Unused: Sendable, Codable, Hashable {
        /// The statement.
        public var statement: PolicyStatement.Reference
        /// `Action` or `NotAction`.
        public var element: String
        /// How many known actions the statement grants (wildcards and NotAction expanded).
        public var granted: Int
        /// The granted actions calls used through this statement.
        public var used: [String]
        /// How many granted actions no call used.
        public var unusedCount: Int
        /// The unused actions, all of them, sorted.
        public var unused: [String]
        /// Per pattern of an `Action` element (empty for NotAction).
        public var patterns: [PatternUsage]
        /// Patterns that name no action the IAM data knows (typos grant nothing).
        public var unknownPatterns: [String]
    }

    /// One reason a statement is broader than the calls need.
    public struct Breadth: Sendable, Codable, Hashable {
        /// `Action`, `NotAction`, `Resource` or `NotResource`.
        public var element: String
        /// The value at fault (the pattern, or the whole NotAction/NotResource list).
        public var value: String
        /// Why it is broad, with counts.
        public var why: String
    }

    /// A statement that could be narrowed.
    public struct OverBroad: Sendable, Codable, Hashable {
        /// The statement.
        public var statement: PolicyStatement.Reference
        /// What is broad about it.
        public var findings: [Breadth]
        /// The narrowest statements that still allow every observed call it allowed; empty when no
        /// call used it (remove it).
        public var replacement: [SuggestedStatement]
        /// Whether some resources the calls used are unknown (CSM), so the replacement keeps `*`
        /// parts in resources.
        public var resourcesPartlyUnknown: Bool
    }

    /// The policy files, in order.
    public var policies: [String]
    /// Statements across all policies.
    public var statements: Int
    /// Calls read.
    public var calls: Int
    /// Action requests evaluated (a call needs one per action).
    public var requests: Int
    /// Requests definitely allowed.
    public var allowed: Int
    /// Denied or conditional action/resource pairs.
    public var missing: [Missing]
    /// Unused grants, per Allow statement.
    public var unused: [Unused]
    /// Statements that could be narrowed.
    public var overBroad: [OverBroad]
    /// The statements that would allow every implicitly denied request, merged by resource.
    public var toAdd: [SuggestedStatement]
    /// Calls that did not enter the evaluation, and actions some calls may also need, with what
    /// the policies say of them: the notes `generate` shows too.
    public var notes: ResolutionNotes
    /// Warnings: actions the policies name that the table does not know, and (when `diff` is
    /// allowed to count damaged inputs) what could not be read from them.
    public var warnings: [Diagnostic]

    /// Whether some request is denied or conditional: `diff` then exits 1.
    public var hasMissing: Bool { !missing.isEmpty }
}
