/// Compares observed calls with the policies a principal has: what would be denied, what is
/// granted and never used, and which wildcards could be narrowed.
///
/// Add calls one by one with ``add(_:)``, then take the ``report()``. Every call is resolved to the
/// requests it makes (see ``RequestResolver``, which classifies it as the policy builder does) and each request is decided by ``PolicyEvaluator``;
/// a request that is denied, or allowed only depending on something the capture does not tell,
/// is missing.
public struct PolicyDiff: Sendable {
    /// The policies, in order.
    public let policies: [IAMPolicy]
    private let evaluator: PolicyEvaluator
    private let resolver: RequestResolver
    private let universe: ActionUniverse

    private struct Use: Hashable {
        var action: String
        var resource: ResourceText
    }

    private struct MissingKey: Hashable {
        var action: String
        var resource: String
        var outcome: Decision.Outcome
        var reason: String
    }

    private var calls = 0
    private var requests = 0
    private var allowed = 0
    private var missing: [MissingKey: DiffReport.Missing] = [:]
    private var uses: [Int: Set<Use>] = [:]
    private var notes = ResolutionNotes()
    private var encryption = EncryptedResourceTracker()

    /// Creates a diff against the union of some policies.
    ///
    /// - Parameters:
    ///   - policies: The policies the principal has.
    ///   - table: The action table.
    ///   - account: The account the calls were made in, when known (fills `${Account}` in ARNs).
    public init(policies: [IAMPolicy], table: ActionTable = .bundled, account: String? = nil) {
        self.policies = policies
        evaluator = PolicyEvaluator(policies: policies)
        resolver = RequestResolver(table: table, account: account)
        universe = ActionUniverse(table: table)
    }

    /// Adds one observed call.
    public mutating func add(_ call: ObservedCall) {
        calls += 1
        var call = call
        // A resource an earlier call gave a customer managed key (see EncryptedResourceRules).
        if let parameters = call.parameters, let service = resolver.table.service(named: call.service),
           let operation = resolver.table.operation(call.operation, of: service) {
            call.parameters = encryption.parameters(module: service.module, operation: operation, parameters)
        }
        switch resolver.resolve(call) {
        case .notEvaluated(let resolution):
            notes.record(resolution, of: call)
        case .requests(let requests, let permissions):
            let operation = permissions.operationName
            for request in requests { evaluate(request, operation: operation) }
            for action in permissions.mayAlsoNeed {
                let (resources, scope) = resolver.resources(for: action, operation: permissions.operation, parameters: call.parameters,
                                                            region: call.region, account: resolver.account(of: call))
                let request = AuthorizationRequest(action: action, resources: resources, scope: scope, context: requests.first?.context ?? RequestContext())
                notes.noteMayAlsoNeed(action, neededBy: operation, decision: evaluator.evaluate(request).verdict,
                                      why: permissions.conditionKind(of: action))
            }
        }
    }

    private mutating func evaluate(_ request: AuthorizationRequest, operation: String) {
        requests += 1
        for resource in request.resources {
            for (index, statement) in evaluator.statements.enumerated() where statement.effect == .allow {
                if evaluator.match(statement, action: request.action, resource: resource, context: request.context).applies != .no {
                    uses[index, default: []].insert(Use(action: request.action, resource: resource))
                }
            }
        }
        let decision = evaluator.evaluate(request)
        if decision.isAllowed {
            allowed += 1
            return
        }
        let key = MissingKey(action: request.action, resource: decision.resource, outcome: decision.outcome, reason: decision.reason)
        if var known = missing[key] {
            known.calls += 1
            if !known.operations.contains(operation) { known.operations.append(operation) }
            missing[key] = known
            return
        }
        let suggestion = DiffReport.SuggestedStatement(action: [request.action], resource: request.resources.map(\.policyPattern))
        let fix: String
        switch decision.outcome {
        case .explicitDeny:
            fix = "\(decision.statements.first.map { "\($0)" } ?? "a Deny statement") denies it; an Allow cannot override a Deny: narrow or remove that statement"
        case .implicitDeny:
            fix = "add an Allow for \(request.action) on \(suggestion.resource.joined(separator: ", "))"
        case .conditional, .allow:
            fix = "decided by what the capture does not tell (\(decision.dependsOn.joined(separator: ", "))): make sure it holds for this workload, or add the statement"
        }
        missing[key] = DiffReport.Missing(
            action: request.action, resource: decision.resource, decision: decision.verdict, outcome: decision.outcome,
            reason: decision.reason, statements: decision.statements, dependsOn: decision.dependsOn, calls: 1,
            operations: [operation], fix: fix, add: decision.outcome == .explicitDeny ? nil : suggestion)
    }

    /// The report for the calls added so far.
    ///
    /// The few unknown names its notes keep get their "did you mean" suggestions here, once:
    /// adding calls never searches for them.
    public func report() -> DiffReport {
        let sortedMissing = missing.values.sorted {
            ($0.action.lowercased(), $0.resource, $0.outcome.rawValue) < ($1.action.lowercased(), $1.resource, $1.outcome.rawValue)
        }
        var unused: [DiffReport.Unused] = []
        var overBroad: [DiffReport.OverBroad] = []
        for (index, statement) in evaluator.statements.enumerated() where statement.effect == .allow {
            let statementUses = uses[index] ?? []
            if let finding = unusedFinding(statement, statementUses) { unused.append(finding) }
            if let finding = overBroadFinding(statement, statementUses) { overBroad.append(finding) }
        }
        // Suggestions for the few unknown names kept, searched once here, never per call.
        let notes = self.notes.suggesting(from: resolver.table)
        return DiffReport(
            policies: policies.map(\.source), statements: evaluator.statements.count, calls: calls, requests: requests,
            allowed: allowed, missing: sortedMissing, unused: unused, overBroad: overBroad,
            toAdd: Self.merge(sortedMissing.filter { $0.outcome == .implicitDeny }.compactMap(\.add)),
            notes: notes, warnings: policies.flatMap { $0.unknownActionWarnings(table: universe.table) })
    }

    private func unusedFinding(_ statement: PolicyStatement, _ statementUses: Set<Use>) -> DiffReport.Unused? {
        let usedActions = Set(statementUses.map { $0.action.lowercased() })
        let granted = universe.granted(by: statement)
        let unusedActions = granted.filter { !usedActions.contains($0.lowercased()) }.sorted { $0.lowercased() < $1.lowercased() }
        var patterns: [DiffReport.PatternUsage] = []
        var unknownPatterns: [String] = []
        if !statement.actionsAreExcluded {
            for pattern in statement.actions {
                let expanded = universe.expand(pattern)
                if expanded.isEmpty { unknownPatterns.append(pattern) }
                let used = expanded.filter { usedActions.contains($0.lowercased()) }
                patterns.append(.init(pattern: pattern, granted: expanded.count, used: used))
            }
        }
        guard !unusedActions.isEmpty || !unknownPatterns.isEmpty else { return nil }
        let used = granted.filter { usedActions.contains($0.lowercased()) }.sorted { $0.lowercased() < $1.lowercased() }
        return DiffReport.Unused(statement: statement.reference, element: statement.actionElement, granted: granted.count,
                                 used: used, unusedCount: unusedActions.count, unused: unusedActions,
                                 patterns: patterns, unknownPatterns: unknownPatterns)
    }

    private func overBroadFinding(_ statement: PolicyStatement, _ statementUses: Set<Use>) -> DiffReport.OverBroad? {
        let usedActions = Set(statementUses.map { $0.action.lowercased() })
        var findings: [DiffReport.Breadth] = []
        if statement.actionsAreExcluded {
            let granted = universe.granted(by: statement).count
            findings.append(.init(element: "NotAction", value: statement.actions.joined(separator: ", "),
                                  why: "allows every action but \(plural(statement.actions.count, "pattern")): \(granted) known actions; the calls used \(usedActions.count)"))
        } else {
            for pattern in statement.actions where pattern.contains("*") || pattern.contains("?") {
                let expanded = universe.expand(pattern)
                let used = expanded.filter { usedActions.contains($0.lowercased()) }.count
                if expanded.count > used {
                    findings.append(.init(element: "Action", value: pattern, why: "matches \(expanded.count) actions; the calls used \(used)"))
                }
            }
        }
        // The narrowest resources: per action, exactly what the calls used.
        var resourcesByAction: [String: Set<String>] = [:]
        var partlyUnknown = false
        for use in statementUses {
            if use.resource.knownText == nil { partlyUnknown = true }
            resourcesByAction[use.action, default: []].formUnion(Self.narrowest(use.resource, within: statement))
        }
        let usedResources = Set(resourcesByAction.values.flatMap { $0 })
        if statement.resourcesAreExcluded {
            findings.append(.init(element: "NotResource", value: statement.resources.joined(separator: ", "),
                                  why: "matches every resource but those; the calls used \(usedResources.count)"))
        } else {
            for pattern in statement.resources where pattern.contains("*") || pattern.contains("?") {
                // Broad only when the calls used something narrower than the pattern.
                let narrower = usedResources.filter { $0 != pattern && !statement.resources.contains($0) }
                if !narrower.isEmpty {
                    findings.append(.init(element: "Resource", value: pattern,
                                          why: "matches \(pattern == "*" ? "every resource" : "more than the calls used"); the calls used \(plural(usedResources.count, "resource")): \(Self.sample(usedResources.sorted()))"))
                }
            }
        }
        guard !findings.isEmpty else { return nil }
        let condition = Self.conditionObject(statement.conditions)
        let replacement = Self.merge(resourcesByAction.map { action, resources in
            DiffReport.SuggestedStatement(action: [action], resource: resources.sorted(), condition: condition)
        })
        return DiffReport.OverBroad(statement: statement.reference, findings: findings, replacement: replacement,
                                    resourcesPartlyUnknown: partlyUnknown)
    }

    /// The narrowest resource patterns that cover a used resource inside what the statement grants.
    ///
    /// A known ARN is itself the narrowest. An ARN with unknown parts (CSM) is covered by its
    /// template with the unknown parts as `*`, when the statement certainly grants all of that;
    /// otherwise the template would be broader than the statement, so the statement's own
    /// patterns that may match stay.
    private static func narrowest(_ resource: ResourceText, within statement: PolicyStatement) -> [String] {
        if resource.knownText != nil || statement.resourcesAreExcluded { return [resource.policyPattern] }
        if statement.resourcePatterns.contains(where: { ARNMatcher.match($0, resource) == .yes }) {
            return [resource.policyPattern]
        }
        let possible = statement.resourcePatterns.filter { ARNMatcher.match($0, resource) != .no }.map(\.text)
        return possible.isEmpty ? [resource.policyPattern] : possible
    }

    /// Merges statements with the same resources and conditions into one, actions sorted.
    static func merge(_ statements: [DiffReport.SuggestedStatement]) -> [DiffReport.SuggestedStatement] {
        var merged: [DiffReport.SuggestedStatement] = []
        for statement in statements {
            if let index = merged.firstIndex(where: { $0.resource == statement.resource && $0.condition == statement.condition }) {
                for action in statement.action where !merged[index].action.contains(action) { merged[index].action.append(action) }
            } else {
                merged.append(statement)
            }
        }
        return merged.map { statement in
            var sorted = statement
            sorted.action.sort { $0.lowercased() < $1.lowercased() }
            return sorted
        }.sorted { ($0.action.first?.lowercased() ?? "") < ($1.action.first?.lowercased() ?? "") }
    }

    private static func conditionObject(_ clauses: [ConditionClause]) -> [String: [String: [String]]]? {
        guard !clauses.isEmpty else { return nil }
        var object: [String: [String: [String]]] = [:]
        for clause in clauses { object[clause.operatorName, default: [:]][clause.key] = clause.values }
        return object
    }

    private static func sample(_ items: [String], limit: Int = 3) -> String {
        items.count <= limit ? items.joined(separator: ", ") : items.prefix(limit).joined(separator: ", ") + " and \(items.count - limit) more"
    }
}
