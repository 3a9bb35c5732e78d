#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Completing a call with the members its body carries: JSON, CBOR and XML documents, and the
/// query protocols' forms (which may also name the operation).
extension AWSRequestDecoder {
    /// Completes a call with its body's members.
    ///
    /// - Parameter body: The whole body, or nil when it was too large to keep.
    func finish(_ pending: Pending, body: UnsafeRawBufferPointer?) -> Result<ObservedCall, Failure> {
        var members: [BodyMembers.Member] = []
        var formPairs: [(key: String, value: String)] = []
        switch pending.bodyFormat {
        case .form:
            formPairs = (body.map { PercentDecoding.pairs($0) } ?? []) + pending.query
            if pending.operation == nil, let action = formPairs.first(where: { $0.key == "Action" })?.value {
                for service in pending.candidates {
                    if let operation = operation(action, of: service) {
                        pending.service = service
                        pending.operation = operation
                        pending.call.service = service.module
                        pending.bodyMatters = true
                        pending.hasBodyMembers = true
                        break
                    }
                }
            }
            members = formPairs.map { ($0.key, $0.value) }
        case .json:
            if pending.bodyMatters, let body, let operation = pending.operation {
                members = BodyMembers.json(body, wanted: plan(of: operation, in: pending.service).wantedJSONMembers)
            }
        case .cbor:
            if pending.bodyMatters, let body { members = BodyMembers.cbor(body) }
        case .xml, .none:
            break
        }
        guard let operation = pending.operation else { return .failure(.unknownOperation) }
        pending.call.operation = operation.name
        guard pending.bodyMatters else {
            pending.call.parameters = pending.parameters
            return .success(pending.call)
        }
        guard let body else {
            // The body was too large to read. When it holds members that locate resources, the
            // parameters are unknown; else only triggers could hide in it, and a REST payload
            // that large is data, not members.
            let isREST = pending.service.wireProtocol.isREST && pending.bodyFormat != .form
            pending.call.parameters = pending.hasBodyMembers || !isREST ? nil : pending.parameters
            return .success(pending.call)
        }
        // Taken out, so that the dictionary is changed in place rather than copied.
        var parameters = pending.parameters
        pending.parameters = [:]
        for member in operation.resourceMembers where member.location == "body" {
            if pending.bodyFormat == .xml {
                if let value = BodyMembers.xmlElement(body, named: member.wireName) { parameters[member.name] = Self.bounded(value) }
            } else if let found = members.first(where: { $0.name == member.wireName }) {
                parameters[member.name] = found.value.map(Self.bounded) ?? ""
            } else if pending.bodyFormat == .form, let found = Self.onlyListItem(member.wireName, in: members) {
                // A query-protocol list (EC2's InstanceId.1): one item is the member's value;
                // several are present without one (the resource stays unknown).
                parameters[member.name] = found
            }
        }
        let plan = plan(of: operation, in: pending.service)
        if pending.bodyFormat != .xml {
            for name in plan.extraValueMembers where parameters[name] == nil {
                if let found = members.first(where: { $0.name == name }) { parameters[name] = found.value.map(Self.bounded) ?? "" }
            }
        }
        // A form's member names split into lowercased parts, once a call (not once a trigger).
        var formParts: [[Substring]]?
        for trigger in plan.presenceMembers where parameters[trigger] == nil {
            let last = trigger.lastIndex(of: ".").map { String(trigger[trigger.index(after: $0)...]) } ?? trigger
            // nil: absent; else present, with the member's short value for a key member (a nested
            // key id, so that an AWS managed key in an attribute map is told apart).
            let found: String?
            switch pending.bodyFormat {
            case .xml:
                found = BodyMembers.xmlElement(body, named: last).map(Self.bounded)
            case .form:
                // EC2 sends list members singular: TagSpecifications as TagSpecification.1.*. A
                // dotted trigger (LaunchTemplateData.IamInstanceProfile) is matched part by part,
                // skipping list indexes and the query protocol's member/entry levels; a map
                // member's keys travel as values (SQS: Attribute.1.Name=KmsMasterKeyId; SNS:
                // Attributes.entry.1.key=KmsMasterKeyId), so a dotted trigger may name one, and
                // the entry's value is its sibling (Attribute.1.Value, Attributes.entry.1.value).
                let wanted = trigger.lowercased().split(separator: ".")
                let first = wanted.first.map(String.init) ?? ""
                let singular = first.hasSuffix("s") ? String(first.dropLast()) : first
                let allParts = formParts ?? members.map { member in
                    member.name.lowercased().split(separator: ".").filter { part in
                        part != "member" && part != "entry" && !part.allSatisfy(\.isNumber)
                    }
                }
                formParts = allParts
                var value: String?
                for (member, parts) in zip(members, allParts) {
                    if parts.count >= wanted.count, zip(parts, wanted).allSatisfy({ part, want in
                        part == want || (want.hasSuffix("s") && part == want.dropLast())
                    }) {
                        value = member.value.map(Self.bounded) ?? ""
                        break
                    }
                    guard wanted.count > 1, let head = parts.first, head == first || head == singular,
                          member.value.map({ $0.caseInsensitiveEquals(last) }) == true else { continue }
                    value = Self.mapEntryValue(of: member.name, in: members).map(Self.bounded) ?? ""
                    break
                }
                found = value
            default:
                if trigger.utf8.contains(UInt8(ascii: ".")) {
                    found = BodyMembers.firstIndex(of: Array("\"\(last)\"".utf8), in: body, from: 0).map { index in
                        BodyMembers.jsonString(after: index + last.utf8.count + 2, in: body).map(Self.bounded) ?? ""
                    }
                } else {
                    found = members.contains { $0.name.caseInsensitiveEquals(trigger) } ? "" : nil
                }
            }
            if let found { parameters[trigger] = plan.keyMembers.contains(trigger) ? found : "" }
        }
        pending.call.parameters = parameters
        return .success(pending.call)
    }

    /// The value of a form-encoded map entry whose key is at `keyName` (`Attribute.1.Name`,
    /// `Attributes.entry.1.key`): its sibling `…Value` / `…value` member.
    static func mapEntryValue(of keyName: String, in members: [BodyMembers.Member]) -> String? {
        guard let dot = keyName.lastIndex(of: ".") else { return nil }
        let leaf = keyName[keyName.index(after: dot)...]
        let sibling: String
        switch leaf {
        case "Name": sibling = "Value"
        case "key": sibling = "value"
        case "Key": sibling = "Value"
        default: return nil
        }
        let name = keyName[...dot] + sibling
        return members.first { $0.name == name }?.value
    }

    /// The value of a form's list member when it has exactly one item (`Name.1`, or
    /// `Name.member.1`); "" when it has several; nil when it has none.
    static func onlyListItem(_ name: String, in members: [BodyMembers.Member]) -> String? {
        var found: String?
        var count = 0
        for member in members where member.name.hasPrefix(name) {
            let rest = member.name.dropFirst(name.count)
            guard rest.first == ".", case let index = rest.hasPrefix(".member.") ? rest.dropFirst(8) : rest.dropFirst(),
                  !index.isEmpty, index.allSatisfy(\.isNumber) else { continue }
            count += 1
            found = member.value
        }
        if count > 1 { return "" }
        return count == 1 ? found.map(bounded) : nil
    }
}
