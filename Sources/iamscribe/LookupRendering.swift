import IAMScribeCore

/// How `lookup` shows its answers.
enum LookupRendering {
    static func text(_ permissions: CallPermissions, _ table: ActionTable) -> String {
        let service = permissions.service, operation = permissions.operation
        var out = "\(service.serviceID) \(operation.name) (module \(service.module), IAM prefix \(service.iamPrefix), \(service.wireProtocol.rawValue)"
        if !operation.httpMethod.isEmpty && service.wireProtocol.isREST {
            out += ", \(operation.httpMethod) \(operation.requestURI)"
        }
        out += ")\n"
        if permissions.isPermissionless {
            return out + "permissionless: the call needs no IAM permission\n"
        }
        if permissions.isUnmapped {
            return out + "unmapped: the table maps this operation to no IAM action\n"
        }
        out += permissions.actions.isEmpty ? "actions: none always; the call's parameters decide (below)\n"
            : "actions:\n" + permissions.actions.map { "  \($0)\n" }.joined()
        if !operation.conditionalActions.isEmpty {
            out += "may also need:\n"
            for conditional in operation.conditionalActions {
                out += "  \(conditional.action)  (\(when(conditional)))\n"
            }
        }
        let resources = permissions.actions.flatMap { action in table.arnTemplates(for: action).map { (action, $0) } }
        if !resources.isEmpty {
            out += "resources:\n"
            for (action, template) in resources {
                out += "  \(action)  \(template.resourceType)\(template.required ? " (required)" : "")  \(template.arn)\n"
            }
        }
        return out
    }

    /// The `andAlso` field of a condition in `lookup --json`: the `+Member` triggers, when there are any.
    static func andAlso(_ conditional: OperationInfo.ConditionalAction) -> String {
        conditional.requiredMembers.isEmpty ? "" : ",\"andAlso\":\(list(conditional.requiredMembers))"
    }

    /// "A or B is given", and "AttributeName is X or Y" for a value trigger.
    static func describe(_ triggers: [String]) -> String {
        let plain = triggers.filter { !$0.contains("=") }
        var parts = plain.isEmpty ? [] : ["\(plain.joined(separator: " or ")) is given"]
        for trigger in triggers {
            guard let equals = trigger.firstIndex(of: "=") else { continue }
            let values = trigger[trigger.index(after: equals)...].split(separator: "|")
            parts.append("\(trigger[..<equals]) is \(values.joined(separator: " or "))")
        }
        return parts.joined(separator: ", or ")
    }

    /// The resources each action of a call acts on, given its parameters: what `generate` puts in
    /// the policy and `diff` evaluates (``RequestResolver``).
    ///
    /// - Parameter permissions: The call's permissions, resolved with the same parameters.
    static func resolved(_ permissions: CallPermissions, parameters: [String: String], region: String, account: String?,
                         _ table: ActionTable) -> [(action: String, resources: [ResourceText], scope: String)] {
        let resolver = RequestResolver(table: table, account: account)
        return (permissions.isPermissionless ? [] : permissions.actions).map { action in
            let found = resolver.resources(for: action, operation: permissions.operation, parameters: parameters,
                                           region: region, account: account)
            return (action: action, resources: found.resources, scope: found.scope.rawValue)
        }
    }

    static func resolvedText(_ resolved: [(action: String, resources: [ResourceText], scope: String)]) -> String {
        guard !resolved.isEmpty else { return "" }
        var out = "resources for these parameters (unknown parts ${...}, * in a policy):\n"
        for item in resolved {
            let joined = item.resources.map(\.description).joined(separator: item.scope == "oneOf" ? " or " : ", ")
            out += "  \(item.action)  \(joined)\n"
        }
        return out
    }

    static func json(_ permissions: CallPermissions, _ table: ActionTable,
                     resolved: [(action: String, resources: [ResourceText], scope: String)]? = nil) -> String {
        let operation = permissions.operation
        let conditions = operation.conditionalActions.map {
            "{\"action\":\(quote($0.action)),\"kind\":\(quote($0.kind.rawValue)),\"when\":\(list($0.members))"
                + ",\"unless\":\(list($0.absentMembers))" + andAlso($0) + ($0.otherwiseDepends ? ",\"otherwise\":\"service\"}" : "}")
        }
        let resources = permissions.actions.flatMap { action in
            table.arnTemplates(for: action).map {
                "{\"action\":\(quote(action)),\"resourceType\":\(quote($0.resourceType)),\"arn\":\(quote($0.arn)),\"required\":\($0.required)}"
            }
        }
        return "{\"service\":\(quote(permissions.service.serviceID)),\"module\":\(quote(permissions.service.module))"
            + ",\"iamPrefix\":\(quote(permissions.service.iamPrefix)),\"operation\":\(quote(operation.name))"
            + ",\"known\":true,\"permissionless\":\(permissions.isPermissionless),\"unmapped\":\(permissions.isUnmapped)"
            + ",\"actions\":\(list(permissions.actions)),\"mayAlsoNeed\":\(list(permissions.mayAlsoNeed))"
            + ",\"conditions\":[\(conditions.joined(separator: ","))],\"resources\":[\(resources.joined(separator: ","))]"
            + (resolved.map { items in
                ",\"resolved\":[" + items.map {
                    "{\"action\":\(quote($0.action)),\"arns\":\(list($0.resources.map(\.description)))"
                        + ",\"policy\":\(list($0.resources.map(\.policyPattern))),\"scope\":\(quote($0.scope))}"
                }.joined(separator: ",") + "]"
            } ?? "") + "}\n"
    }

    /// When a conditional action is needed, as a phrase: "when DbUser is given", "when the resource
    /// uses a customer managed key", "depending on the service's behaviour".
    static func when(_ conditional: OperationInfo.ConditionalAction) -> String {
        var parts: [String] = []
        if !conditional.members.isEmpty {
            var given = "when " + describe(conditional.members)
            if !conditional.absentMembers.isEmpty {
                given += " without \(conditional.absentMembers.joined(separator: " or "))"
            }
            parts.append(given)
        }
        if conditional.kind == .encryptedResource {
            parts.append(parts.isEmpty ? "when the resource uses a customer managed KMS key" : "the resource uses a customer managed KMS key")
        }
        if parts.isEmpty { return "depending on the service's behaviour, which the parameters do not show" }
        let required = conditional.requiredMembers.isEmpty ? "" : ", and only when " + describe(conditional.requiredMembers)
        return parts.joined(separator: " or ") + required
            + (conditional.otherwiseDepends ? ", else depending on the service's behaviour, which the parameters do not show" : "")
    }

    /// `lookup --explain`: why each action is in the operation's entry.
    static func explanation(_ permissions: CallPermissions) -> String {
        let service = permissions.service, operation = permissions.operation
        var out = "\(service.serviceID) \(operation.name) (module \(service.module), IAM prefix \(service.iamPrefix))\n"
        if permissions.isPermissionless { return out + "permissionless: the call needs no IAM permission\n" }
        if permissions.isUnmapped { return out + "unmapped: the table maps this operation to no IAM action\n" }
        for item in explained(permissions) {
            out += "\(item.action)\n"
            if let conditional = item.conditional {
                out += "  needed: \(when(conditional)) (\(kindName(conditional.kind)))\n"
            } else {
                out += "  needed: always\n"
            }
            out += "  rule: \(ruleText(item.origin, primary: operation.actions.first ?? ""))\n"
            if item.origin.rule == .override, let source = operation.source { out += "  source: \(source)\n" }
        }
        return out
    }

    /// `lookup --explain --json`.
    static func explanationJSON(_ permissions: CallPermissions) -> String {
        let operation = permissions.operation
        let items = explained(permissions).map { item -> String in
            var fields = ["\"action\":\(quote(item.action))"]
            if let conditional = item.conditional {
                fields += ["\"needed\":\"conditional\"", "\"kind\":\(quote(conditional.kind.rawValue))",
                           "\"when\":\(list(conditional.members))", "\"unless\":\(list(conditional.absentMembers))"]
                if !conditional.requiredMembers.isEmpty { fields.append("\"andAlso\":\(list(conditional.requiredMembers))") }
            } else {
                fields.append("\"needed\":\"always\"")
            }
            fields.append("\"rule\":\(quote(item.origin.rule.rawValue))")
            if let line = item.origin.overrideLine {
                fields.append("\"override\":\(quote("\(OperationInfo.overridesFile):\(line)"))")
            }
            if item.origin.rule == .override, let source = operation.source { fields.append("\"source\":\(quote(source))") }
            return "{" + fields.joined(separator: ",") + "}"
        }
        return "{\"service\":\(quote(permissions.service.serviceID)),\"module\":\(quote(permissions.service.module))"
            + ",\"operation\":\(quote(operation.name)),\"permissionless\":\(permissions.isPermissionless)"
            + ",\"unmapped\":\(permissions.isUnmapped),\"actions\":[\(items.joined(separator: ","))]}\n"
    }

    private static func explained(_ permissions: CallPermissions)
        -> [(action: String, conditional: OperationInfo.ConditionalAction?, origin: OperationInfo.Origin)] {
        let operation = permissions.operation
        let unknown = OperationInfo.Origin.unrecorded
        return operation.actions.map { ($0, nil, operation.origin(of: $0) ?? unknown) }
            + operation.conditionalActions.map { ($0.action, $0, operation.origin(of: $0.action) ?? unknown) }
    }

    static func kindName(_ kind: OperationInfo.ConditionKind) -> String {
        switch kind {
        case .parameter: "parameter given"
        case .encryptedResource: "resource encrypted"
        case .serviceBehaviour: "service behaviour"
        }
    }

    private static func ruleText(_ origin: OperationInfo.Origin, primary: String) -> String {
        switch origin.rule {
        case .name: "the operation's name is an action in the IAM data"
        case .verb: "the service's actions are named after the HTTP method"
        case .override: "hand-written override, \(OperationInfo.overridesFile):\(origin.overrideLine.map(String.init) ?? "?")"
        case .role: "an input member takes an IAM role, handed to the service"
        case .dependent: "the IAM data lists it as a dependent action of \(primary)"
        case .tag: "tag-on-create: a create call given tags needs the service's tag action"
        case .unknown: "not recorded in the table"
        }
    }

    static func batchLine(service: String, operation: String, _ table: ActionTable) -> String {
        let head = "{\"service\":\(quote(service)),\"operation\":\(quote(operation))"
        switch table.permissions(service: service, operation: operation) {
        case .failure(let failure):
            return head + ",\"known\":false,\"permissionless\":false,\"actions\":[],\"mayAlsoNeed\":[],\"error\":\(quote(failure.description))}\n"
        case .success(let permissions):
            return head + ",\"known\":true,\"permissionless\":\(permissions.isPermissionless)"
                + ",\"actions\":\(list(permissions.actions)),\"mayAlsoNeed\":\(list(permissions.mayAlsoNeed))}\n"
        }
    }

    static func list(_ items: [String]) -> String { JSONText.list(items) }

    static func quote(_ text: String) -> String { JSONText.quote(text) }
}
