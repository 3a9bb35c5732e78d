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

    /// The operation's name as the SDKs spell it, for example `ListObjectsV2`.
    public let name: String
    /// The HTTP method, for REST protocols.
    public let httpMethod: String
    /// The request URI template, for REST protocols (`/{Bucket}/{Key+}`).
    public let requestURI: String
    /// Whether the call needs no IAM permission: reported, never granted.
    public let isPermissionless: Bool
    /// The actions always needed, primary first. Empty when the operation is unmapped.
    public let actions: [String]
    /// The actions needed only when some input is present.
    public let conditionalActions: [ConditionalAction]
    /// The input members that locate resources or roles.
    public let resourceMembers: [ResourceMember]

    /// Whether the table maps the operation to nothing (and it is not permissionless).
    public var isUnmapped: Bool { !isPermissionless && actions.isEmpty }
}
