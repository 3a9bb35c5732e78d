/// One statement of an identity-based policy, as parsed and checked.
public struct PolicyStatement: Sendable, Hashable {
    /// Whether the statement allows or denies.
    public enum Effect: String, Sendable, Hashable, Codable {
        /// Grants what it matches.
        case allow = "Allow"
        /// Denies what it matches, whatever any other statement allows.
        case deny = "Deny"
    }

    /// Where a statement comes from: a file, its position there (from 1), and its Sid.
    public struct Reference: Sendable, Hashable, Codable, CustomStringConvertible {
        /// The policy file (as given on the command line).
        public let source: String
        /// The statement's position in its document, from 1.
        public let number: Int
        /// The statement's Sid, when it has one.
        public let sid: String?

        /// Creates a reference.
        public init(source: String, number: Int, sid: String?) {
            self.source = source
            self.number = number
            self.sid = sid
        }

        /// For example `statement 2 "ReadLogs" of role.json`.
        public var description: String {
            "statement \(number)" + (sid.map { " \"\($0)\"" } ?? "") + " of \(source)"
        }
    }

    /// Where the statement comes from.
    public let reference: Reference
    /// Allow or Deny.
    public let effect: Effect
    /// The `Action` patterns, or the `NotAction` ones when ``actionsAreExcluded``.
    public let actions: [String]
    /// Whether the statement used `NotAction`: it matches every action *not* listed.
    public let actionsAreExcluded: Bool
    /// The `Resource` patterns, or the `NotResource` ones when ``resourcesAreExcluded``.
    public let resources: [String]
    /// Whether the statement used `NotResource`.
    public let resourcesAreExcluded: Bool
    /// The conditions; all must hold.
    public let conditions: [ConditionClause]

    let actionPatterns: [WildcardPattern]
    let resourcePatterns: [WildcardPattern]

    init(reference: Reference, effect: Effect, actions: [String], actionsAreExcluded: Bool, resources: [String],
         resourcesAreExcluded: Bool, conditions: [ConditionClause], variables: Bool) {
        self.reference = reference
        self.effect = effect
        self.actions = actions
        self.actionsAreExcluded = actionsAreExcluded
        self.resources = resources
        self.resourcesAreExcluded = resourcesAreExcluded
        self.conditions = conditions
        // IAM does not substitute variables in actions.
        actionPatterns = actions.map { WildcardPattern($0, variables: false) }
        resourcePatterns = resources.map { WildcardPattern($0, variables: variables) }
    }

    /// The element names as the policy wrote them, `Action` or `NotAction`.
    public var actionElement: String { actionsAreExcluded ? "NotAction" : "Action" }
    /// `Resource` or `NotResource`.
    public var resourceElement: String { resourcesAreExcluded ? "NotResource" : "Resource" }
}
