/// One operation of a service and the IAM actions it needs.
public struct OperationInfo: Sendable, Hashable {
    /// An action needed only in some calls, with the input members that show it is needed.
    public struct ConditionalAction: Sendable, Hashable {
        /// The IAM action, `prefix:Name`.
        public let action: String
        /// Input members whose presence in a call makes the action needed. Empty: the call's
        /// parameters cannot tell, so the action is only ever reported as "may also need".
        /// `Member=A|B` is a value trigger: the member must hold one of the values (compared
        /// case-insensitively), as SNS `AttributeName=LambdaSuccessFeedbackRoleArn|…`.
        public let triggers: [String]
        /// The triggers taken apart once, when the table is read: a call's parameters are checked
        /// against them for every call, and splitting text there cost a sixth of decoding a capture.
        let parsed: ParsedTriggers

        /// The triggers of a conditional action, taken apart.
        struct ParsedTriggers: Sendable, Hashable {
            /// A member whose presence counts, with the values it must hold (nil: any value).
            struct Present: Sendable, Hashable {
                let member: String
                let values: [String]?
            }

            /// Members one of which must be present (``OperationInfo/encryptedTrigger`` among them
            /// when the resource's encryption counts).
            let present: [Present]
            /// Members none of which may be present (`!Member`).
            let absent: [String]
            /// Members every one of which must be present too, with their values when given
            /// (`+Member=A`): an AND with the other triggers.
            let required: [Present]
            /// Why the action may be needed.
            let kind: ConditionKind
        }

        /// Creates a conditional action.
        ///
        /// - Parameters:
        ///   - action: The IAM action.
        ///   - triggers: The table's triggers: members, `!Member`, `Member=A|B`, `(encrypted)`.
        public init(action: String, triggers: [String]) {
            self.action = action
            self.triggers = triggers
            parsed = ParsedTriggers(
                present: triggers.filter { !$0.hasPrefix("!") && !$0.hasPrefix("+") && $0 != OperationInfo.otherwiseTrigger }.map(Self.present),
                absent: triggers.compactMap { $0.hasPrefix("!") ? String($0.dropFirst()) : nil },
                required: triggers.filter { $0.hasPrefix("+") }.map { Self.present(String($0.dropFirst())) },
                kind: triggers.contains(OperationInfo.encryptedTrigger) ? .encryptedResource
                    : triggers.contains(OperationInfo.otherwiseTrigger) ? .serviceBehaviour
                    : triggers.contains { !$0.hasPrefix("(") && !$0.hasPrefix("!") && !$0.hasPrefix("+") } ? .parameter : .serviceBehaviour)
        }

        /// A presence or value trigger taken apart.
        private static func present(_ trigger: String) -> ParsedTriggers.Present {
            ParsedTriggers.Present(member: String(member(of: trigger)), values: values(of: trigger)?.map(String.init))
        }

        /// A trigger's member name, without the values of a value trigger.
        static func member(of trigger: String) -> Substring {
            trigger.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
        }

        /// The values a value trigger accepts; nil for a presence trigger.
        static func values(of trigger: String) -> [Substring]? {
            guard let equals = trigger.firstIndex(of: "=") else { return nil }
            return trigger[trigger.index(after: equals)...].split(separator: "|")
        }

        /// Why the action may be needed, from its triggers.
        public var kind: ConditionKind { parsed.kind }

        /// The trigger members that must be present (one of them), without
        /// ``OperationInfo/encryptedTrigger``.
        public var members: [String] {
            triggers.filter { !$0.hasPrefix("(") && !$0.hasPrefix("!") && !$0.hasPrefix("+") }
        }

        /// Members that must be given as well (`+WithDecryption=true` in the table), with the
        /// value they must hold when the table names one: the action is needed only when the
        /// other triggers hold and every one of these does, and known parameters without one
        /// settle it as not needed.
        public var requiredMembers: [String] {
            triggers.compactMap { $0.hasPrefix("+") ? String($0.dropFirst()) : nil }
        }

        /// Whether, when no trigger member is present, the service's behaviour decides (the
        /// pseudo-trigger ``OperationInfo/otherwiseTrigger``): the action then stays "may also need"
        /// instead of being settled as not needed.
        public var otherwiseDepends: Bool { triggers.contains(OperationInfo.otherwiseTrigger) }

        /// Members that must be absent for the action to be needed (`!DbUser` in the table): the
        /// action is needed when one of ``members`` is present and none of these is.
        public var absentMembers: [String] {
            triggers.compactMap { $0.hasPrefix("!") ? String($0.dropFirst()) : nil }
        }
    }

    /// Why a conditional action may be needed: what a reader checks to decide.
    public enum ConditionKind: String, Sendable, Hashable, CaseIterable, Codable {
        /// An input member is given (`DbUser`, `SSEKMSKeyId`, `Tags`): the call's parameters tell.
        case parameter
        /// The resource the call works on uses a customer managed KMS key: the service uses the
        /// key with the caller's permissions. The call's parameters do not tell; a recording can
        /// when it saw the resource created or configured with a key.
        case encryptedResource = "encrypted"
        /// The service's behaviour, which the parameters cannot show (the query's text, the data's
        /// location, the account's settings).
        case serviceBehaviour = "service"
    }

    /// The trigger that stands for "the resource uses a customer managed key": never a member name.
    public static let encryptedTrigger = "(encrypted)"
    /// The trigger that says "else the service's behaviour decides": with member triggers, an action
    /// needed when one is given, and otherwise perhaps (S3 CopyObject copies the source's tags by
    /// default, which needs s3:PutObjectTagging when the source has tags).
    public static let otherwiseTrigger = "(otherwise)"

    /// Why an action is in an operation's entry of the table.
    public struct Origin: Sendable, Hashable {
        /// The rule that put an action in the table.
        public enum Rule: String, Sendable, Hashable {
            /// `prefix:Operation` exists in the IAM data.
            case name
            /// The service's actions are named after the HTTP method (API Gateway).
            case verb
            /// A line of `Scripts/action-overrides.txt`.
            case override
            /// An input member takes an IAM role: `iam:PassRole`.
            case role
            /// The IAM data lists it as a dependent action of the primary action.
            case dependent
            /// Tag-on-create: a create call that takes tags needs the service's tag action.
            case tag
            /// The table does not say (a table older than format 2).
            case unknown
        }

        /// The rule.
        public let rule: Rule
        /// The line of `Scripts/action-overrides.txt`, for ``Rule/override``.
        public let overrideLine: Int?

        /// The origin of an action the table does not explain.
        public static let unrecorded = Origin(rule: .unknown, overrideLine: nil)
    }

    /// The file the table's overrides come from, for ``Origin/overrideLine``.
    public static let overridesFile = "Scripts/action-overrides.txt"

    /// An input member that names a resource or a role, and where it travels in the request.
    public struct ResourceMember: Sendable, Hashable {
        /// The member's name in the service model.
        public let name: String
        /// `uri`, `querystring`, `header` or `body`.
        public let location: String
        /// The member's name on the wire (the URI label, query key, header or body field).
        public let wireName: String
        /// Whether the member takes an IAM role ARN handed to the service (needs `iam:PassRole`).
        public let isRole: Bool
    }

    /// A member through which a call hands an IAM role to the service, so that the call needs
    /// `iam:PassRole` on that role.
    public struct RoleHandOff: Sendable, Hashable {
        /// What the member holds.
        public enum Kind: String, Sendable, Hashable {
            /// A role ARN or name.
            case role
            /// An EC2 instance profile: the role it holds is passed.
            case instanceProfile = "profile"
            /// A key of a string attribute map (an override: SNS delivery-status roles).
            case attribute
        }

        /// The member's path from the top of the input: dotted, `[]` after a list, `{}` after a
        /// map (`pipeline.stages[].actions[].roleArn`).
        public let path: String
        /// What the member holds.
        public let kind: Kind
        /// When `iam:PassRole` is needed for this member.
        public let requirement: Requirement

        /// When a role hand-off needs `iam:PassRole`.
        public enum Requirement: Sendable, Hashable {
            /// In every call: the member is required all the way down.
            case always
            /// When this input member (top-level, or a dotted path to the first optional member)
            /// is present.
            case when(String)
            /// The call's parameters cannot tell (a role in an attribute named by value).
            case undetermined
        }
    }

    private final class Storage: Sendable {
        let name: String
        let httpMethod: String
        let requestURI: String
        let isPermissionless: Bool
        let actions: [String]
        let conditionalActions: [ConditionalAction]
        let resourceMembers: [ResourceMember]
        let roleHandOffs: [RoleHandOff]
        let resourceFills: [ResourceFill]
        let provenance: String

        init(name: String, httpMethod: String, requestURI: String, isPermissionless: Bool, actions: [String],
             conditionalActions: [ConditionalAction], resourceMembers: [ResourceMember], roleHandOffs: [RoleHandOff],
             resourceFills: [ResourceFill], provenance: String) {
            self.provenance = provenance
            self.resourceFills = resourceFills
            self.name = name
            self.httpMethod = httpMethod
            self.requestURI = requestURI
            self.isPermissionless = isPermissionless
            self.actions = actions
            self.conditionalActions = conditionalActions
            self.resourceMembers = resourceMembers
            self.roleHandOffs = roleHandOffs
        }
    }

    private let storage: Storage

    /// The identity of this operation's record in its table: equal for copies of one record.
    var identity: ObjectIdentifier { ObjectIdentifier(storage) }

    /// The operation's name as the SDKs spell it, for example `ListObjectsV2`.
    public var name: String { storage.name }
    /// The HTTP method, for REST protocols.
    public var httpMethod: String { storage.httpMethod }
    /// The request URI template, for REST protocols (`/{Bucket}/{Key+}`).
    public var requestURI: String { storage.requestURI }
    /// Whether the call needs no IAM permission: reported, never granted.
    public var isPermissionless: Bool { storage.isPermissionless }
    /// The actions always needed, primary first. Empty when the operation is unmapped, or mapped
    /// by conditional actions alone.
    public var actions: [String] { storage.actions }
    /// The actions needed only when some input is present.
    public var conditionalActions: [ConditionalAction] { storage.conditionalActions }
    /// The input members that locate resources or roles.
    public var resourceMembers: [ResourceMember] { storage.resourceMembers }
    /// The members through which a call hands a role to the service (`iam:PassRole`), when the
    /// operation needs `iam:PassRole`; empty otherwise.
    public var roleHandOffs: [RoleHandOff] { storage.roleHandOffs }
    /// How the call's parameters fill its actions' ARN templates, where an override says
    /// (``ResourceFill``); empty: each variable from the member of the same name.
    public var resourceFills: [ResourceFill] { storage.resourceFills }

    /// Where the override of this operation says its facts come from (the service's documented
    /// permissions), when it says.
    public var source: String? {
        guard let bar = storage.provenance.firstIndex(of: "|") else { return nil }
        let text = storage.provenance[storage.provenance.index(after: bar)...]
        return text.isEmpty ? nil : String(text)
    }

    /// Why an action is in this operation's entry: always needed or conditional. Nil when the
    /// entry does not list the action.
    public func origin(of action: String) -> Origin? {
        let all = actions + conditionalActions.map(\.action)
        guard let index = all.firstIndex(of: action) else { return nil }
        let rules = storage.provenance.prefix { $0 != "|" }.split(separator: ";", omittingEmptySubsequences: false)
        guard index < rules.count else { return Origin(rule: .unknown, overrideLine: nil) }
        let parts = rules[index].split(separator: ":", maxSplits: 1)
        let rule = parts.first.flatMap { Origin.Rule(rawValue: String($0)) } ?? .unknown
        return Origin(rule: rule, overrideLine: parts.count > 1 ? Int(parts[1]) : nil)
    }

    init(name: String, httpMethod: String, requestURI: String, isPermissionless: Bool, actions: [String],
         conditionalActions: [ConditionalAction], resourceMembers: [ResourceMember], roleHandOffs: [RoleHandOff] = [],
         resourceFills: [ResourceFill] = [], provenance: String = "") {
        storage = Storage(name: name, httpMethod: httpMethod, requestURI: requestURI, isPermissionless: isPermissionless,
                          actions: actions, conditionalActions: conditionalActions, resourceMembers: resourceMembers,
                          roleHandOffs: roleHandOffs, resourceFills: resourceFills, provenance: provenance)
    }

    public static func == (a: OperationInfo, b: OperationInfo) -> Bool {
        a.storage === b.storage
            || (a.name == b.name && a.httpMethod == b.httpMethod && a.requestURI == b.requestURI
                && a.isPermissionless == b.isPermissionless && a.actions == b.actions
                && a.conditionalActions == b.conditionalActions && a.resourceMembers == b.resourceMembers
                && a.roleHandOffs == b.roleHandOffs)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(requestURI)
        hasher.combine(actions)
    }

    /// Whether the table maps the operation to nothing (and it is not permissionless). An
    /// operation may be mapped by conditional actions alone (DynamoDB `TransactWriteItems`: the
    /// actions of the kinds of item it holds).
    public var isUnmapped: Bool { !isPermissionless && actions.isEmpty && conditionalActions.isEmpty }

    /// Whether a call hands a role to the service: `.always` when `iam:PassRole` is always
    /// needed, `.when` or `.undetermined` when only some calls need it, nil when none does.
    public var passRole: RoleHandOff.Requirement? {
        if actions.contains("iam:PassRole") { return .always }
        guard let conditional = conditionalActions.first(where: { $0.action == "iam:PassRole" }) else { return nil }
        return conditional.triggers.isEmpty ? .undetermined : .when(conditional.triggers.joined(separator: ","))
    }
}
