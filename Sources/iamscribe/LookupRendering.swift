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
        out += "actions:\n" + permissions.actions.map { "  \($0)\n" }.joined()
        if !operation.conditionalActions.isEmpty {
            out += "may also need:\n"
            for conditional in operation.conditionalActions {
                let when = conditional.triggers.isEmpty ? "depending on the call" : "when " + describe(conditional.triggers)
                out += "  \(conditional.action)  (\(when))\n"
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

    static func json(_ permissions: CallPermissions, _ table: ActionTable) -> String {
        let operation = permissions.operation
        let conditions = operation.conditionalActions.map {
            "{\"action\":\(quote($0.action)),\"when\":\(list($0.triggers))}"
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
            + ",\"conditions\":[\(conditions.joined(separator: ","))],\"resources\":[\(resources.joined(separator: ","))]}\n"
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
