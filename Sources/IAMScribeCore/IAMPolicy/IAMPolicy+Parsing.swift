#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension IAMPolicy {
    /// Parses a policy document, or the output of the IAM commands that return one.
    ///
    /// - Parameters:
    ///   - data: The file's bytes.
    ///   - source: The name to use in references and errors (the file's path).
    /// - Returns: The policy.
    /// - Throws: ``IAMScribeError`` with code `.invalidPolicy`, naming the statement (number and
    ///   Sid) and the field at fault.
    public static func parse(_ data: Data, source: String) throws -> IAMPolicy {
        let text = String(decoding: data, as: UTF8.self).trimmingWhitespaceAndNewlines()
        var root: JSONValue
        if text.hasPrefix("%7B") || text.hasPrefix("%7b") {
            // A bare URL-encoded document, as the IAM API returns it.
            root = try decodeDocumentString(text, source: source, field: "the file")
        } else {
            root = try decodeJSON(data, source: source, what: "the file")
        }
        // The raw IAM API returns the document URL-encoded; some scripts save just that string.
        if case .string(let text) = root { root = try decodeDocumentString(text, source: source, field: "the file") }
        guard case .object(let object) = root else {
            throw invalid(source, "the file holds \(root.typeName), not a policy document")
        }
        let document: [String: JSONValue]
        if object["Statement"] != nil || object["Version"] != nil {
            document = object
        } else if case .object(let version)? = object["PolicyVersion"] {
            document = try unwrap(version["Document"], source: source, field: "PolicyVersion.Document")
        } else if object["PolicyDocument"] != nil {
            document = try unwrap(object["PolicyDocument"], source: source, field: "PolicyDocument")
        } else if object["AssumeRolePolicyDocument"] != nil || object["Role"] != nil {
            throw invalid(source, "this is a role (with its trust policy), not a permissions policy; use `aws iam get-role-policy` or `get-policy-version`")
        } else {
            throw invalid(source, "no Statement: expected a policy document or the output of aws iam get-policy-version, get-role-policy or get-user-policy")
        }
        return try parseDocument(document, source: source)
    }

    private static func unwrap(_ value: JSONValue?, source: String, field: String) throws -> [String: JSONValue] {
        switch value {
        case .object(let document)?:
            return document
        case .string(let text)?:
            guard case .object(let document) = try decodeDocumentString(text, source: source, field: field) else {
                throw invalid(source, "\(field) is not a JSON object")
            }
            return document
        case let other?:
            throw invalid(source, "\(field) is \(other.typeName), not a policy document")
        case nil:
            throw invalid(source, "\(field) is missing")
        }
    }

    /// A document given as a string: JSON, or URL-encoded JSON as the IAM API returns it.
    private static func decodeDocumentString(_ text: String, source: String, field: String) throws -> JSONValue {
        let trimmed = text.trimmingWhitespaceAndNewlines()
        if trimmed.hasPrefix("{") {
            return try decodeJSON(Data(trimmed.utf8), source: source, what: field)
        }
        // IAM encodes per RFC 3986; a `+` is a plus sign, not a space.
        guard let decoded = percentDecoded(trimmed), decoded.trimmingWhitespaceAndNewlines().hasPrefix("{") else {
            throw invalid(source, "\(field) is neither a JSON policy document nor a URL-encoded one")
        }
        return try decodeJSON(Data(decoded.utf8), source: source, what: "\(field) (URL-decoded)")
    }

    /// What Foundation's `removingPercentEncoding` returns: the text with each `%XX` decoded, or
    /// nil when an escape is malformed or the decoded bytes are not UTF-8.
    package static func percentDecoded(_ text: String) -> String? {
        let utf8 = Array(text.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = 0
        while index < utf8.count {
            guard utf8[index] == UInt8(ascii: "%") else {
                bytes.append(utf8[index])
                index += 1
                continue
            }
            guard index + 2 < utf8.count, let high = hexDigit(utf8[index + 1]), let low = hexDigit(utf8[index + 2]) else {
                return nil
            }
            bytes.append(high << 4 | low)
            index += 3
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - 48
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - 87
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - 55
        default: nil
        }
    }

    private static func decodeJSON(_ data: Data, source: String, what: String) throws -> JSONValue {
        let parsed: (value: JSONValue, duplicate: JSONValue.DuplicateKey?)
        do {
            parsed = try JSONValue.parse(data)
        } catch let error as JSONValue.ParseError where error.kind == .tooDeep {
            throw invalid(source, "\(what) nests lists and objects deeper than \(JSONValue.maximumDepth) levels " +
                "(line \(error.line), column \(error.column)); a policy document needs fewer than 10")
        } catch {
            throw IAMScribeError(.invalidPolicy, "\(source): \(what) is not valid JSON", underlying: error)
        }
        if let duplicate = parsed.duplicate {
            throw invalid(source, place(of: duplicate, in: parsed.value) + "duplicate key \"\(duplicate.key)\" " +
                "(JSON tools disagree on which of the two counts)")
        }
        return parsed.value
    }

    /// Where a duplicate key is, as the other errors say it: `statement 2 (Sid "Logs"): Condition.StringEquals: `.
    private static func place(of duplicate: JSONValue.DuplicateKey, in root: JSONValue) -> String {
        var path = duplicate.path[...]
        var node = root
        // The document inside the output of get-policy-version and get-role-policy.
        for wrapper in [[JSONValue.PathComponent.key("PolicyVersion"), .key("Document")], [.key("PolicyDocument")]]
        where path.starts(with: wrapper) && path.count > wrapper.count {
            for component in wrapper { node = node.child(component) ?? .null }
            path = path.dropFirst(wrapper.count)
        }
        var prefix = ""
        if path.first == .key("Statement") {
            node = node.child(.key("Statement")) ?? .null
            path = path.dropFirst()
            var number = 1
            if case .index(let index)? = path.first {
                number = index + 1
                node = node.child(.index(index)) ?? .null
                path = path.dropFirst()
            }
            var sid: String?
            if case .string(let text)? = node.child(.key("Sid")), !(path.isEmpty && duplicate.key == "Sid") { sid = text }
            prefix = label(number, sid) + ": "
        } else {
            // Outside the statements: the path from the file's root.
            path = duplicate.path[...]
        }
        let field = path.map { component in
            switch component {
            case .key(let key): key
            case .index(let index): "[\(index + 1)]"
            }
        }.joined(separator: ".")
        return prefix + (field.isEmpty ? "" : field + ": ")
    }

    private static let documentFields = ["Version", "Id", "Statement"]
    private static let statementFields = [
        "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition", "Principal", "NotPrincipal",
    ]

    private static func parseDocument(_ document: [String: JSONValue], source: String) throws -> IAMPolicy {
        for key in document.keys where !documentFields.contains(key) {
            throw invalid(source, "unknown field '\(key)' in the document" + suggestion(key, documentFields))
        }
        var version: String?
        if let value = document["Version"] {
            guard case .string(let text) = value, ["2012-10-17", "2008-10-17"].contains(text) else {
                throw invalid(source, "Version must be \"2012-10-17\" or \"2008-10-17\", not \(render(value))")
            }
            version = text
        }
        // Policy variables exist only in the 2012-10-17 language; before it `${` is plain text.
        let variables = version == "2012-10-17"
        let items: [JSONValue]
        switch document["Statement"] {
        case .array(let list)?: items = list
        case .object?: items = [document["Statement"] ?? .null]
        case let other?: throw invalid(source, "Statement is \(other.typeName); expected an object or a list of objects")
        case nil: throw invalid(source, "the document has no Statement")
        }
        var statements: [PolicyStatement] = []
        var sids = Set<String>()
        for (index, item) in items.enumerated() {
            let statement = try parseStatement(item, number: index + 1, source: source, variables: variables)
            if let sid = statement.reference.sid, !sid.isEmpty, !sids.insert(sid).inserted {
                throw invalid(source, "\(label(index + 1, sid)): Sid: \"\(sid)\" is used by another statement; Sids must be unique")
            }
            statements.append(statement)
        }
        return IAMPolicy(source: source, version: version, statements: statements)
    }

    private static func parseStatement(_ value: JSONValue, number: Int, source: String, variables: Bool) throws -> PolicyStatement {
        guard case .object(let fields) = value else {
            throw invalid(source, "statement \(number) is \(value.typeName), not an object")
        }
        var sid: String?
        if let raw = fields["Sid"] {
            guard case .string(let text) = raw else {
                throw invalid(source, "statement \(number): Sid must be a string, not \(raw.typeName)")
            }
            sid = text
        }
        let here = label(number, sid)
        func fail(_ field: String, _ message: String) -> IAMScribeError {
            invalid(source, "\(here): \(field): \(message)")
        }
        for key in fields.keys.sorted() where !statementFields.contains(key) {
            throw invalid(source, "\(here): unknown field '\(key)'" + suggestion(key, statementFields))
        }
        for key in ["Principal", "NotPrincipal"] where fields[key] != nil {
            throw fail(key, "an identity-based policy names no principal (the principal is whoever the policy is attached to); this looks like a resource-based policy such as a bucket policy")
        }
        let effect: PolicyStatement.Effect
        switch fields["Effect"] {
        case .string(let text)?:
            guard let parsed = PolicyStatement.Effect(rawValue: text) else {
                throw fail("Effect", "must be \"Allow\" or \"Deny\", not \"\(text)\"")
            }
            effect = parsed
        case let other?: throw fail("Effect", "must be \"Allow\" or \"Deny\", not \(other.typeName)")
        case nil: throw fail("Effect", "missing; every statement says \"Allow\" or \"Deny\"")
        }
        let (actionField, actions) = try exactlyOne("Action", "NotAction", in: fields, fail: fail)
        for action in actions {
            let parts = action.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let isAllStars = !action.isEmpty && action.allSatisfy { $0 == "*" }
            if !isAllStars && (parts.count != 2 || parts[0].isEmpty || parts[1].isEmpty || parts[0].contains(where: \.isWhitespace)) {
                throw fail(actionField, "'\(action)' is not an action; write prefix:Name, for example s3:GetObject, or *")
            }
        }
        let (resourceField, resources) = try exactlyOne("Resource", "NotResource", in: fields, fail: fail)
        for resource in resources where resource != "*" && !resource.hasPrefix("arn:") && !resource.allSatisfy({ $0 == "*" }) {
            throw fail(resourceField, "'\(resource)' is neither an ARN (arn:...) nor *")
        }
        let conditions = try parseConditions(fields["Condition"], variables: variables, fail: fail)
        return PolicyStatement(
            reference: .init(source: source, number: number, sid: sid), effect: effect,
            actions: actions, actionsAreExcluded: actionField == "NotAction",
            resources: resources, resourcesAreExcluded: resourceField == "NotResource",
            conditions: conditions, variables: variables)
    }

    private static func exactlyOne(
        _ name: String, _ negated: String, in fields: [String: JSONValue], fail: (String, String) -> IAMScribeError
    ) throws -> (String, [String]) {
        switch (fields[name], fields[negated]) {
        case (nil, nil):
            throw fail(name, "missing; an identity-based statement needs \(name) or \(negated)")
        case (_?, _?):
            throw fail(negated, "a statement has \(name) or \(negated), not both")
        case (let value?, nil):
            return (name, try stringList(value, field: name, fail: fail))
        case (nil, let value?):
            return (negated, try stringList(value, field: negated, fail: fail))
        }
    }

    private static func stringList(_ value: JSONValue, field: String, fail: (String, String) -> IAMScribeError) throws -> [String] {
        switch value {
        case .string(let text):
            return [text]
        case .array(let items):
            guard !items.isEmpty else { throw fail(field, "the list is empty") }
            return try items.enumerated().map { index, item in
                guard case .string(let text) = item else {
                    throw fail(field, "item \(index + 1) is \(item.typeName), not a string")
                }
                return text
            }
        default:
            throw fail(field, "must be a string or a list of strings, not \(value.typeName)")
        }
    }

    private static func parseConditions(
        _ value: JSONValue?, variables: Bool, fail: (String, String) -> IAMScribeError
    ) throws -> [ConditionClause] {
        guard let value else { return [] }
        guard case .object(let operators) = value else {
            throw fail("Condition", "must be an object of operators, not \(value.typeName)")
        }
        var clauses: [ConditionClause] = []
        for name in operators.keys.sorted() {
            let field = "Condition.\(name)"
            guard let (base, qualifier, ifExists) = ConditionClause.parseOperator(name) else {
                throw fail(field, "'\(name)' is not an IAM condition operator")
            }
            guard case .object(let keys)? = operators[name] else {
                throw fail(field, "must be an object of condition keys and values")
            }
            guard !keys.isEmpty else { throw fail(field, "names no condition key") }
            for key in keys.keys.sorted() {
                let keyField = "\(field).\(key)"
                let raw = keys[key] ?? .null
                let items: [JSONValue]
                if case .array(let list) = raw { items = list } else { items = [raw] }
                guard !items.isEmpty else { throw fail(keyField, "the list of values is empty") }
                let values = try items.map { item in
                    guard let text = item.scalarText else {
                        throw fail(keyField, "values are strings, numbers or booleans, not \(item.typeName)")
                    }
                    return text
                }
                for text in values where !(variables && text.contains("${")) {
                    if let problem = checkValue(text, for: base) { throw fail(keyField, problem) }
                }
                clauses.append(ConditionClause(operatorName: name, base: base, qualifier: qualifier, ifExists: ifExists,
                                               key: key, values: values, variables: variables))
            }
        }
        return clauses
    }

    private static func checkValue(_ text: String, for base: ConditionOperator) -> String? {
        switch base.valueKind {
        case .number: ConditionValue.number(text) == nil ? "'\(text)' is not a number" : nil
        case .date: ConditionValue.date(text) == nil ? "'\(text)' is not a date (ISO 8601 or seconds since 1970)" : nil
        case .bool: ConditionValue.bool(text) == nil ? "'\(text)' is not true or false" : nil
        case .ipAddress: ConditionValue.Network(text) == nil ? "'\(text)' is not an IP address or CIDR range" : nil
        case .string, .arn: nil
        }
    }

    private static func label(_ number: Int, _ sid: String?) -> String {
        "statement \(number)" + (sid.map { " (Sid \"\($0)\")" } ?? "")
    }

    private static func invalid(_ source: String, _ message: String) -> IAMScribeError {
        IAMScribeError(.invalidPolicy, "\(source): \(message)")
    }

    private static func suggestion(_ key: String, _ known: [String]) -> String {
        known.first { $0.lowercased() == key.lowercased() }.map { " (did you mean '\($0)'? field names are case-sensitive)" } ?? ""
    }

    private static func render(_ value: JSONValue) -> String {
        if case .string(let text) = value { return "\"\(text)\"" }
        return value.typeName
    }
}
