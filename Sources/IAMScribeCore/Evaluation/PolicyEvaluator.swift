/// Decides requests against identity-based policies the way AWS documents it: an explicit Deny
/// wins, then an Allow, else the implicit deny.
///
/// Every match is three-valued (see ``Truth``). A statement that applies only depending on a
/// condition key, a policy variable or a part of the resource the capture does not know makes the
/// decision ``Decision/Outcome/conditional``, never a silent allow: an Allow that may not apply
/// does not allow, and a Deny that may apply keeps a definite Allow from being definite.
public struct PolicyEvaluator: Sendable {
    /// Every statement of every policy, in order: their union is what the principal has.
    public let statements: [PolicyStatement]

    /// Creates an evaluator for the union of some policies.
    ///
    /// - Parameter policies: The policies attached to (or inline in) one principal.
    public init(policies: [IAMPolicy]) {
        statements = policies.flatMap(\.statements)
    }

    /// Decides one request.
    ///
    /// - Parameter request: The action, its resources and the context.
    /// - Returns: The decision, with the deciding statements and the reason.
    public func evaluate(_ request: AuthorizationRequest) -> Decision {
        let decisions = request.resources.map { evaluate(action: request.action, resource: $0, context: request.context) }
        if decisions.count == 1 { return decisions[0] }
        let resource = request.resourceDescription
        func rewrap(_ decision: Decision, reason: String? = nil, dependsOn: [String]? = nil, outcome: Decision.Outcome? = nil) -> Decision {
            Decision(outcome: outcome ?? decision.outcome, action: request.action, resource: resource, statements: decision.statements,
                     reason: reason ?? "\(decision.resource): \(decision.reason)", dependsOn: dependsOn ?? decision.dependsOn)
        }
        switch request.scope {
        case .allOf:
            if let denied = decisions.first(where: { $0.outcome == .explicitDeny }) ?? decisions.first(where: { $0.outcome == .implicitDeny }) {
                return rewrap(denied)
            }
            let conditional = decisions.filter { $0.outcome == .conditional }
            if !conditional.isEmpty {
                return Decision(outcome: .conditional, action: request.action, resource: resource,
                                statements: Array(Set(conditional.flatMap(\.statements))).sorted { ($0.source, $0.number) < ($1.source, $1.number) },
                                reason: conditional.map { "\($0.resource): \($0.reason)" }.joined(separator: "; "),
                                dependsOn: Array(Set(conditional.flatMap(\.dependsOn))).sorted())
            }
            return rewrap(decisions[0], reason: "every resource is allowed: " + decisions.map { "\($0.resource): \($0.reason)" }.joined(separator: "; "))
        case .oneOf:
            if decisions.allSatisfy({ $0.outcome == .allow }) {
                return rewrap(decisions[0], reason: "allowed whichever resource the call used: \(decisions[0].reason)")
            }
            if decisions.allSatisfy({ $0.outcome == .explicitDeny || $0.outcome == .implicitDeny }) {
                return rewrap(decisions.first { $0.outcome == .explicitDeny } ?? decisions[0])
            }
            let dependsOn = Set(decisions.flatMap(\.dependsOn)).union(["the resource (the capture does not name it)"])
            let parts = decisions.map { "\($0.resource): \($0.verdict)" }
            return Decision(outcome: .conditional, action: request.action, resource: resource,
                            statements: Array(Set(decisions.flatMap(\.statements))).sorted { ($0.source, $0.number) < ($1.source, $1.number) },
                            reason: "depends on which resource the call used (" + parts.joined(separator: "; ") + ")",
                            dependsOn: dependsOn.sorted())
        }
    }

    /// Decides an action on one resource.
    ///
    /// - Parameters:
    ///   - action: The action, `prefix:Name`.
    ///   - resource: The resource (``ResourceText/any`` for actions without resource types).
    ///   - context: The condition keys the request carries.
    /// - Returns: The decision.
    public func evaluate(action: String, resource: ResourceText, context: RequestContext = RequestContext()) -> Decision {
        var allows: [(PolicyStatement, Truth)] = []
        var denies: [(PolicyStatement, Truth)] = []
        var nearMiss: String?
        for statement in statements {
            let match = match(statement, action: action, resource: resource, context: context)
            let applies = match.applies
            if applies == .no {
                if nearMiss == nil, statement.effect == .allow, match.action { nearMiss = match.missReason(statement) }
                continue
            }
            if statement.effect == .deny { denies.append((statement, applies)) } else { allows.append((statement, applies)) }
        }
        func decide(_ outcome: Decision.Outcome, _ statements: [PolicyStatement], _ reason: String, _ dependsOn: [String] = []) -> Decision {
            Decision(outcome: outcome, action: action, resource: resource.description, statements: statements.map(\.reference),
                     reason: reason, dependsOn: dependsOn)
        }
        if let deny = denies.first(where: { $0.1 == .yes })?.0 {
            return decide(.explicitDeny, [deny], "explicitly denied by \(deny.reference) (\(Self.summary(deny)))")
        }
        let uncertainDenies = denies.map(\.0)
        let denyDependencies = Array(Set(denies.flatMap { $0.1.dependencies })).sorted()
        if let allow = allows.first(where: { $0.1 == .yes })?.0 {
            if uncertainDenies.isEmpty {
                return decide(.allow, [allow], "allowed by \(allow.reference) (\(Self.summary(allow)))")
            }
            return decide(.conditional, [allow] + uncertainDenies,
                          "allowed by \(allow.reference), unless \(uncertainDenies.map { "\($0.reference)" }.joined(separator: ", ")) applies, which depends on \(denyDependencies.joined(separator: ", "))",
                          denyDependencies)
        }
        if !allows.isEmpty {
            let dependencies = Array(Set(allows.flatMap { $0.1.dependencies } + denyDependencies)).sorted()
            let allowDependencies = Array(Set(allows.flatMap { $0.1.dependencies })).sorted()
            var reason = "allowed only if \(allows.map { "\($0.0.reference)" }.joined(separator: " or ")) applies, which depends on \(allowDependencies.joined(separator: ", "))"
            if !uncertainDenies.isEmpty {
                reason += "; and \(uncertainDenies.map { "\($0.reference)" }.joined(separator: ", ")) may deny it"
            }
            return decide(.conditional, allows.map(\.0) + uncertainDenies, reason, dependencies)
        }
        return decide(.implicitDeny, [], "no statement allows \(action) on \(resource)" + (nearMiss.map { "; \($0)" } ?? ""))
    }

    /// How one statement matches one request.
    struct StatementMatch {
        var action: Bool
        var resource: Truth
        var condition: Truth
        var failedCondition: ConditionClause?

        var applies: Truth { action ? resource && condition : .no }

        func missReason(_ statement: PolicyStatement) -> String {
            if resource == .no {
                return "\(statement.reference) matches the action but its \(statement.resourceElement) is \(statement.resources.joined(separator: ", "))"
            }
            if let failedCondition {
                return "\(statement.reference) matches, but its condition \(failedCondition) does not hold"
            }
            return "\(statement.reference) matches the action but not the request"
        }
    }

    func match(_ statement: PolicyStatement, action: String, resource: ResourceText, context: RequestContext) -> StatementMatch {
        let listed = Self.actionMatches(statement, action)
        let actionMatch = statement.actionsAreExcluded ? !listed : listed
        guard actionMatch else { return StatementMatch(action: false, resource: .no, condition: .no) }
        let named = Truth.any(statement.resourcePatterns) { pattern in
            guard let resolved = pattern.resolving(context) else { return .no }
            return ARNMatcher.match(resolved, resource)
        }
        let resourceMatch = statement.resourcesAreExcluded ? !named : named
        var failed: ConditionClause?
        let condition = Truth.all(statement.conditions) { clause in
            let result = ConditionEvaluation.evaluate(clause, context)
            if result == .no { failed = clause }
            return result
        }
        return StatementMatch(action: true, resource: resourceMatch, condition: condition, failedCondition: failed)
    }

    /// Whether one of the statement's action patterns names the action (case-insensitively).
    static func actionMatches(_ statement: PolicyStatement, _ action: String) -> Bool {
        let subject = ResourceText(action)
        return statement.actionPatterns.contains { $0.match(subject, caseInsensitive: true) == .yes }
    }

    static func summary(_ statement: PolicyStatement) -> String {
        var parts = ["\(statement.actionElement) \(statement.actions.joined(separator: ", "))",
                     "\(statement.resourceElement) \(statement.resources.joined(separator: ", "))"]
        if !statement.conditions.isEmpty { parts.append("Condition \(statement.conditions.map(\.description).joined(separator: ", "))") }
        return parts.joined(separator: "; ")
    }
}
