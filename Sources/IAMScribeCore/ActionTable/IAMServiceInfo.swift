/// What the IAM service authorization data says of one IAM prefix.
public struct IAMServiceInfo: Sendable {
    /// One action of the prefix.
    public struct Action: Sendable, Hashable {
        /// The action's name without the prefix, as IAM spells it.
        public let name: String
        /// `Read`, `Write`, `List`, `Tagging` or `Permissions management`.
        public let accessLevel: String
        /// The resource types the action applies to; `required` marks the ones it always needs.
        public let resourceTypes: [(name: String, required: Bool)]

        public static func == (lhs: Action, rhs: Action) -> Bool { lhs.name == rhs.name }
        public func hash(into hasher: inout Hasher) { hasher.combine(name) }
    }

    /// The IAM prefix, for example `s3`.
    public let prefix: String
    /// The service's name in the IAM documentation.
    public let serviceName: String
    /// Resource types and their ARN templates.
    public let arnTemplates: [String: String]
    /// The actions, keyed by lowercased name.
    let actionsByLowercasedName: [String: Action]

    /// Every action of the prefix, sorted by name.
    public var actions: [Action] {
        actionsByLowercasedName.values.sorted { $0.name < $1.name }
    }

    /// Returns the action named `name`, matched case-insensitively.
    public func action(named name: String) -> Action? {
        actionsByLowercasedName[name.lowercased()]
    }
}
