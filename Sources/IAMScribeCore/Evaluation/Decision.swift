/// The evaluator's answer for one request: a value, never a thrown error, that says why.
public struct Decision: Sendable, Hashable {
    /// The outcome.
    public enum Outcome: String, Sendable, Hashable, Codable {
        /// A statement allows the request and no Deny statement applies.
        case allow
        /// A Deny statement applies; nothing can override it in identity policies.
        case explicitDeny = "explicit-deny"
        /// No statement allows the request.
        case implicitDeny = "implicit-deny"
        /// Allowed or denied depending on things the capture does not tell (see ``Decision/dependsOn``).
        case conditional
    }

    /// The outcome.
    public let outcome: Outcome
    /// The action decided on.
    public let action: String
    /// The resource(s) decided on, as shown in reports.
    public let resource: String
    /// The statements that decided: the allowing or denying one, or those whose conditions the
    /// outcome depends on. Empty for an implicit deny.
    public let statements: [PolicyStatement.Reference]
    /// Why, in a sentence.
    public let reason: String
    /// What a conditional outcome depends on: condition keys (`aws:SourceIp`), policy variables
    /// (`${aws:username}`), unknown parts of the resource (`${Account} in the resource`), sorted.
    public let dependsOn: [String]

    /// Creates a decision.
    public init(outcome: Outcome, action: String, resource: String, statements: [PolicyStatement.Reference],
                reason: String, dependsOn: [String] = []) {
        self.outcome = outcome
        self.action = action
        self.resource = resource
        self.statements = statements
        self.reason = reason
        self.dependsOn = dependsOn
    }

    /// Whether the request is definitely allowed.
    public var isAllowed: Bool { outcome == .allow }

    /// `allow`, `deny` (explicit or implicit) or `conditional`: the decision as the CLI's JSON names it.
    public var verdict: String {
        switch outcome {
        case .allow: "allow"
        case .explicitDeny, .implicitDeny: "deny"
        case .conditional: "conditional"
        }
    }
}
