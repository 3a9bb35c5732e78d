/// One operation of a service and the IAM actions it needs.
public struct OperationInfo: Sendable, Hashable {
    /// An action needed only in some calls, with the input members that show it is needed.
    public struct ConditionalAction: Sendable, Hashable {
        /// The IAM action, `prefix:Name`.
        public let action: String
        /// Input members whose presence in a call makes the action needed. Empty: the call's
        /// parameters cannot tell, so the action is only ever reported as "may also need".
        public let triggers: [String]
    }

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

    private final class Storage: Sendable {
        let name: String
        let httpMethod: String
        let requestURI: String
        let isPermissionless: Bool
        let actions: [String]
        let conditionalActions: [ConditionalAction]
        let resourceMembers: [ResourceMember]

        init(name: String, httpMethod: String, requestURI: String, isPermissionless: Bool, actions: [String],
             conditionalActions: [ConditionalAction], resourceMembers: [ResourceMember]) {
            self.name = name
            self.httpMethod = httpMethod
            self.requestURI = requestURI
            self.isPermissionless = isPermissionless
            self.actions = actions
            self.conditionalActions = conditionalActions
            self.resourceMembers = resourceMembers
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
    /// The actions always needed, primary first. Empty when the operation is unmapped.
    public var actions: [String] { storage.actions }
    /// The actions needed only when some input is present.
    public var conditionalActions: [ConditionalAction] { storage.conditionalActions }
    /// The input members that locate resources or roles.
    public var resourceMembers: [ResourceMember] { storage.resourceMembers }

    init(name: String, httpMethod: String, requestURI: String, isPermissionless: Bool, actions: [String],
         conditionalActions: [ConditionalAction], resourceMembers: [ResourceMember]) {
        storage = Storage(name: name, httpMethod: httpMethod, requestURI: requestURI, isPermissionless: isPermissionless,
                          actions: actions, conditionalActions: conditionalActions, resourceMembers: resourceMembers)
    }

    public static func == (a: OperationInfo, b: OperationInfo) -> Bool {
        a.storage === b.storage
            || (a.name == b.name && a.httpMethod == b.httpMethod && a.requestURI == b.requestURI
                && a.isPermissionless == b.isPermissionless && a.actions == b.actions
                && a.conditionalActions == b.conditionalActions && a.resourceMembers == b.resourceMembers)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(requestURI)
        hasher.combine(actions)
    }

    /// Whether the table maps the operation to nothing (and it is not permissionless).
    public var isUnmapped: Bool { !isPermissionless && actions.isEmpty }
}
