/// What decoding a request needs to know of its operation, worked out once an operation rather
/// than once a request: where its resource members travel, which trigger members to look for in
/// the head, and which body members to read.
final class OperationPlan {
    /// A resource member sent in the query string or a header.
    struct HeadMember {
        let name: String
        let wireName: String
        /// The wire name, lowercased (headers are matched case-insensitively).
        let lowercasedWireName: [UInt8]
    }

    /// A trigger member that may travel in the head: as a query parameter of its name, or as a
    /// header whose name, without `x-amz-` and dashes, is its name (`x-amz-grant-full-control` is
    /// `GrantFullControl`).
    struct HeadTrigger {
        let name: String
        /// The name, lowercased.
        let lowercased: [UInt8]
        /// The abbreviated name S3's server-side encryption headers use, lowercased.
        let alias: [UInt8]?
    }

    /// Resource members in the query string, secrets left out.
    let queryMembers: [HeadMember]
    /// Resource members in headers, secrets left out.
    let headerMembers: [HeadMember]
    /// Trigger members that may travel in the head, each once (a dotted trigger names a nested
    /// member, which only a body carries).
    let headTriggers: [HeadTrigger]
    /// Trigger members whose short values are kept, not only their presence: the members that
    /// give a resource a KMS key (``EncryptedResourceRules``), so that an AWS managed key
    /// (`alias/aws/sqs`) is told from a customer managed one.
    let keyMembers: Set<String>
    /// Whether some trigger is dotted.
    let hasDottedTrigger: Bool
    /// Whether some resource member travels in the body.
    let hasBodyMembers: Bool
    /// The JSON body members worth reading, lowercased: resource members and triggers.
    let wantedJSONMembers: [[UInt8]]
    /// Every member whose presence is kept: the triggers of conditional actions (those that must
    /// be absent too) and the key members of a call that encrypts a resource, each once.
    let presenceMembers: [String]
    /// Body members whose values are kept besides the table's resource members: those naming a
    /// resource that a recording may know to be encrypted (``EncryptedResourceRules``).
    let extraValueMembers: [String]

    /// - Parameters:
    ///   - operation: The operation.
    ///   - watch: What to keep besides the table's members, for encrypted resources.
    init(_ operation: OperationInfo, watch: EncryptedResourceRules.Watch? = nil) {
        func headMember(_ member: OperationInfo.ResourceMember) -> HeadMember {
            HeadMember(name: member.name, wireName: member.wireName, lowercasedWireName: Array(member.wireName.lowercased().utf8))
        }
        let members = operation.resourceMembers.filter { !Self.secrets.contains($0.wireName.lowercased()) }
        queryMembers = members.filter { $0.location == "querystring" }.map(headMember)
        headerMembers = members.filter { $0.location == "header" }.map(headMember)
        var seen = Set<String>()
        // The encrypted-resource marker is no member: a recording infers it (``EncryptedResources``).
        // A value trigger's member is kept as a resource member, with its value: only its name counts here.
        let triggers = (operation.conditionalActions.flatMap { $0.members + $0.absentMembers + $0.requiredMembers } + (watch?.presenceMembers ?? []))
            .map { String(OperationInfo.ConditionalAction.member(of: $0)) }
            .filter { seen.insert($0).inserted }
        presenceMembers = triggers
        keyMembers = Set(watch?.presenceMembers ?? [])
        let named = Set(operation.resourceMembers.map(\.name))
        extraValueMembers = (watch?.valueMembers ?? []).filter { !named.contains($0) }
        headTriggers = triggers.filter { !$0.contains(".") }.map { trigger in
            let lowercased = trigger.lowercased()
            return HeadTrigger(name: trigger, lowercased: Array(lowercased.utf8), alias: Self.aliases[lowercased].map { Array($0.utf8) })
        }
        hasDottedTrigger = triggers.contains { $0.contains(".") }
        hasBodyMembers = operation.resourceMembers.contains { $0.location == "body" } || !extraValueMembers.isEmpty
        wantedJSONMembers = operation.resourceMembers.filter { $0.location == "body" }.map { Array($0.wireName.lowercased().utf8) }
            + extraValueMembers.map { Array($0.lowercased().utf8) }
            + triggers.map { Array($0.lowercased().utf8) }
    }

    /// Headers and query parameters never kept as parameters, lowercased.
    static let secrets: Set<String> = ["authorization", "x-amz-security-token", "x-amz-signature", "x-amz-credential"]

    /// S3's server-side encryption headers abbreviate their members' names.
    private static let aliases = [
        "ssekmskeyid": "serversideencryptionawskmskeyid",
        "ssekmsencryptioncontext": "serversideencryptioncontext",
    ]

    /// A header name without its `x-amz-` prefix and dashes, lowercased, into `normalized`.
    static func normalize(headerName name: UnsafeRawBufferPointer, into normalized: inout [UInt8]) {
        normalized.removeAll(keepingCapacity: true)
        var index = HTTPBytes.hasPrefix(name, "x-amz-", ignoringCase: true) ? 6 : 0
        while index < name.count {
            let byte = name[index]
            index += 1
            if byte != UInt8(ascii: "-") { normalized.append(HTTPBytes.lower(byte)) }
        }
    }
}
