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
        /// The member holding the key when a `Member=Value` key member only names the attribute
        /// set (SNS SetTopicAttributes: `AttributeName=KmsMasterKeyId`, the key in `AttributeValue`).
        package let keyValueMember: String?
        /// The member naming the object inside the resource, when the call encrypts one object
        /// and not the whole resource (S3: an object put with its own key; the bucket's default
        /// encryption marks the bucket).
        package let objectMember: String?

        init(resourceMembers: [String], keyMembers: [String], keyValueMember: String? = nil, objectMember: String? = nil) {
            self.resourceMembers = resourceMembers
            self.keyMembers = keyMembers
            self.keyValueMember = keyValueMember
            self.objectMember = objectMember
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
            "settopicattributes": Marker(resourceMembers: ["TopicArn"], keyMembers: ["AttributeName=KmsMasterKeyId"],
                                         keyValueMember: "AttributeValue"),
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
        "lambda": [
            // Environment variables under a customer managed key (reading them back decrypts).
            "createfunction": Marker(resourceMembers: ["FunctionName"], keyMembers: ["KMSKeyArn"]),
            "updatefunctionconfiguration": Marker(resourceMembers: ["FunctionName"], keyMembers: ["KMSKeyArn"]),
        ],
        "s3": [
            // An object put with its own key: that object (its later reads), not the bucket.
            "putobject": Marker(resourceMembers: ["Bucket"], keyMembers: ["SSEKMSKeyId"], objectMember: "Key"),
            "createmultipartupload": Marker(resourceMembers: ["Bucket"], keyMembers: ["SSEKMSKeyId"], objectMember: "Key"),
            "copyobject": Marker(resourceMembers: ["Bucket"], keyMembers: ["SSEKMSKeyId"], objectMember: "Key"),
            // Default encryption: <ServerSideEncryptionConfiguration>...<KMSMasterKeyID>.
            "putbucketencryption": Marker(resourceMembers: ["Bucket"],
                                          keyMembers: ["ServerSideEncryptionConfiguration.KMSMasterKeyID"]),
        ],
    ]

    /// The member naming an object inside a service's resources (S3 objects in buckets).
    static let objectMembers: [String: String] = ["s3": "Key"]

    /// The members that name a resource in any call of a service, in order of preference.
    static let resourceMembers: [String: [String]] = [
        "sqs": ["QueueUrl", "QueueName"],
        "sns": ["TopicArn", "TargetArn", "Name"],
        "secretsmanager": ["SecretId", "Name"],
        "kinesis": ["StreamARN", "StreamName"],
        "ssm": ["Name"],
        "dynamodb": ["TableName"],
        "s3": ["Bucket"],
        "lambda": ["FunctionName"],
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
        let extra = [objectMembers[module], marker?.keyValueMember].compactMap { $0 }
        return Watch(valueMembers: members + extra, presenceMembers: presence)
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

    /// The object a call works on inside its resource, as a key of its own (an S3 object: its
    /// bucket and key), or nil when the service has no objects or the call names none.
    package static func object(module: String, parameters: [String: String]) -> String? {
        guard let member = objectMembers[module], let name = parameters[member], !name.isEmpty,
              let resource = resource(module: module, parameters: parameters) else { return nil }
        return resource + "/" + name
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
            if isAWSManaged(value) { return false }
            guard let wanted = key.value else { return true }
            guard value.caseInsensitiveEquals(wanted) else { return false }
            return marker.keyValueMember.map { parameters[$0].map { !isAWSManaged($0) } ?? true } ?? true
        }
        guard keyed else { return nil }
        for member in marker.resourceMembers {
            guard let value = parameters[member], !value.isEmpty else { continue }
            let resource = module + "\u{0}" + normalize(value, module: module)
            if let objectMember = marker.objectMember, let name = parameters[objectMember], !name.isEmpty {
                return resource + "/" + name
            }
            return resource
        }
        return nil
    }

    /// Whether a key id names an AWS managed key (`alias/aws/sns`, or an ARN of such an alias).
    static func isAWSManaged(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return lowered.hasPrefix("alias/aws/") || lowered.hasPrefix("arn:") && lowered.contains(":alias/aws/")
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
        case "lambda":
            // A name, an ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]) or a
            // partial ARN (ACCOUNT:function:NAME).
            guard let range = value.firstRange(of: "function:") else { return value }
            return String(value[range.upperBound...].prefix { $0 != ":" })
        case "dynamodb":
            guard value.hasPrefix("arn:"), let range = value.firstRange(of: ":table/") else { return value }
            return String(value[range.upperBound...].prefix { $0 != "/" })
        default:
            return value
        }
    }
}
