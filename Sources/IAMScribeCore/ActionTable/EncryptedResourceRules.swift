/// Which calls put a customer managed KMS key on a resource, and which members name that resource,
/// so that a recording can tell, for later calls on the resource, that the actions the table
/// lists under the `(encrypted)` trigger (``OperationInfo/encryptedTrigger``) are needed.
///
/// Hand-written, as the overrides are: the table says which actions a service takes with the
/// caller's permissions on an encrypted resource; these rules say how a recording learns that a
/// resource is encrypted. A queue created with `KmsMasterKeyId` among its attributes is
/// encrypted, and a message sent to it later in the same recording needs `kms:GenerateDataKey`.
/// Only what a recording saw counts: a resource created elsewhere stays "may also need".
package enum EncryptedResourceRules {
    /// A call that gives a resource a customer managed key.
    package struct Marker: Sendable {
        /// The members naming the resource (the first present one counts).
        package let resourceMembers: [String]
        /// Members whose presence says a key was given (dotted: nested, `Attributes.KmsMasterKeyId`),
        /// or `Member=Value` for a member that must have that value (`AttributeName=KmsMasterKeyId`).
        package let keyMembers: [String]
        /// ``keyMembers`` taken apart: the member, and the value it must have (nil: any).
        let keys: [(member: String, value: String?)]

        init(resourceMembers: [String], keyMembers: [String]) {
            self.resourceMembers = resourceMembers
            self.keyMembers = keyMembers
            keys = keyMembers.map { spec in
                let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
                return (parts[0], parts.count > 1 ? parts[1] : nil)
            }
        }
    }

    /// What the decoder keeps for an operation besides the table's members: values of the
    /// members naming the resource, and the presence of the key members.
    package struct Watch: Sendable {
        /// Members whose value names the resource.
        package let valueMembers: [String]
        /// Members whose presence marks the resource encrypted.
        package let presenceMembers: [String]
    }

    /// Calls that give a resource a customer managed key, by module and lowercased operation.
    static let markers: [String: [String: Marker]] = [
        "sqs": [
            "createqueue": Marker(resourceMembers: ["QueueName"], keyMembers: ["Attributes.KmsMasterKeyId"]),
            "setqueueattributes": Marker(resourceMembers: ["QueueUrl"], keyMembers: ["Attributes.KmsMasterKeyId"]),
        ],
        "sns": [
            "createtopic": Marker(resourceMembers: ["Name"], keyMembers: ["Attributes.KmsMasterKeyId"]),
            "settopicattributes": Marker(resourceMembers: ["TopicArn"], keyMembers: ["AttributeName=KmsMasterKeyId"]),
        ],
        "secretsmanager": [
            "createsecret": Marker(resourceMembers: ["Name"], keyMembers: ["KmsKeyId"]),
            "updatesecret": Marker(resourceMembers: ["SecretId"], keyMembers: ["KmsKeyId"]),
        ],
        "kinesis": [
            "startstreamencryption": Marker(resourceMembers: ["StreamName", "StreamARN"], keyMembers: ["KeyId"]),
        ],
        "ssm": [
            "putparameter": Marker(resourceMembers: ["Name"], keyMembers: ["KeyId"]),
        ],
        "dynamodb": [
            "createtable": Marker(resourceMembers: ["TableName"], keyMembers: ["SSESpecification.KMSMasterKeyId"]),
            "updatetable": Marker(resourceMembers: ["TableName"], keyMembers: ["SSESpecification.KMSMasterKeyId"]),
        ],
        "s3": [
            "putobject": Marker(resourceMembers: ["Bucket"], keyMembers: ["SSEKMSKeyId"]),
            "createmultipartupload": Marker(resourceMembers: ["Bucket"], keyMembers: ["SSEKMSKeyId"]),
            "copyobject": Marker(resourceMembers: ["Bucket"], keyMembers: ["SSEKMSKeyId"]),
            // Default encryption: <ServerSideEncryptionConfiguration>...<KMSMasterKeyID>.
            "putbucketencryption": Marker(resourceMembers: ["Bucket"],
                                          keyMembers: ["ServerSideEncryptionConfiguration.KMSMasterKeyID"]),
        ],
    ]

    /// The members that name a resource in any call of a service, in order of preference.
    static let resourceMembers: [String: [String]] = [
        "sqs": ["QueueUrl", "QueueName"],
        "sns": ["TopicArn", "TargetArn", "Name"],
        "secretsmanager": ["SecretId", "Name"],
        "kinesis": ["StreamARN", "StreamName"],
        "ssm": ["Name"],
        "dynamodb": ["TableName"],
        "s3": ["Bucket"],
    ]

    /// Whether calls of a service can be told to work on an encrypted resource: a cheap test
    /// before the others, for the services the rules name.
    package static func concerns(module: String) -> Bool {
        resourceMembers[module] != nil
    }

    /// What the rules say of one operation: whether its calls mark a resource encrypted (its
    /// marker), and whether they need to know whether theirs is.
    package struct Rule: Sendable {
        /// The marker, when the operation's calls can give a resource a key.
        package let marker: Marker?
        /// Whether the operation has actions under the `(encrypted)` trigger.
        package let needsEncryption: Bool

        /// Whether calls of the operation go through the tracker at all.
        package var matters: Bool { marker != nil || needsEncryption }
    }

    /// The rule of an operation: asked once an operation (a recording caches it), so that the
    /// calls of every other operation skip the tracker.
    package static func rule(module: String, operation: OperationInfo) -> Rule {
        guard concerns(module: module) else { return Rule(marker: nil, needsEncryption: false) }
        return Rule(marker: marker(module: module, operation: operation.name),
                    needsEncryption: operation.conditionalActions.contains { $0.kind == .encryptedResource })
    }

    /// The marker of an operation: a service has a few, compared without lowercasing a copy of the
    /// name (this runs for every call of the services the rules name).
    private static func marker(module: String, operation: String) -> Marker? {
        guard let byOperation = markers[module] else { return nil }
        return byOperation.first { $0.key.utf8.count == operation.utf8.count && $0.key.caseInsensitiveEquals(operation) }?.value
    }

    /// What the decoder keeps for an operation of a service besides the table's members.
    package static func watch(module: String, operation: String) -> Watch? {
        guard let members = resourceMembers[module] else { return nil }
        let marker = markers[module]?[operation.lowercased()]
        let presence = marker?.keyMembers.map { $0.split(separator: "=").first.map(String.init) ?? $0 } ?? []
        return Watch(valueMembers: members, presenceMembers: presence)
    }

    /// The resource a call works on, as a key that calls naming it in other ways share (a queue's
    /// URL and its name; a topic's ARN and its name), or nil when the call names none.
    package static func resource(module: String, parameters: [String: String]) -> String? {
        guard let members = resourceMembers[module] else { return nil }
        for member in members {
            guard let value = parameters[member], !value.isEmpty else { continue }
            return module + "\u{0}" + normalize(value, module: module)
        }
        return nil
    }

    /// The resource a call gives a customer managed key, or nil when it gives none.
    package static func encryptedResource(module: String, operation: String, parameters: [String: String]) -> String? {
        guard let marker = marker(module: module, operation: operation) else { return nil }
        return encryptedResource(module: module, marker: marker, parameters: parameters)
    }

    /// The resource a call gives a customer managed key under an operation's marker, or nil.
    package static func encryptedResource(module: String, marker: Marker, parameters: [String: String]) -> String? {
        let keyed = marker.keys.contains { key in
            guard let value = parameters[key.member] else { return false }
            // An AWS managed key (alias/aws/sqs ...) needs nothing of the caller.
            if value.lowercased().hasPrefix("alias/aws/") { return false }
            return key.value.map { value.caseInsensitiveEquals($0) } ?? true
        }
        guard keyed else { return nil }
        for member in marker.resourceMembers {
            if let value = parameters[member], !value.isEmpty { return module + "\u{0}" + normalize(value, module: module) }
        }
        return nil
    }

    /// A resource's name from any of its spellings: the last part of a queue URL or an ARN; a
    /// secret's ARN without the six characters Secrets Manager appends.
    private static func normalize(_ value: String, module: String) -> String {
        switch module {
        case "sqs":
            return value.split(separator: "/").last.map(String.init) ?? value
        case "sns":
            return value.hasPrefix("arn:") ? value.split(separator: ":").last.map(String.init) ?? value : value
        case "secretsmanager":
            guard value.hasPrefix("arn:"), let name = value.split(separator: ":", maxSplits: 6).last else { return value }
            // arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf
            return name.count > 7 && name.dropLast(6).hasSuffix("-") ? String(name.dropLast(7)) : String(name)
        case "kinesis":
            guard value.hasPrefix("arn:"), let range = value.firstRange(of: ":stream/") else { return value }
            return String(value[range.upperBound...])
        case "dynamodb":
            guard value.hasPrefix("arn:"), let range = value.firstRange(of: ":table/") else { return value }
            return String(value[range.upperBound...].prefix { $0 != "/" })
        default:
            return value
        }
    }
}
