/// The IAM actions one call needs, as the action table resolves them.
public struct CallPermissions: Sendable, Hashable {
    /// The service called.
    public let service: ServiceInfo
    /// The operation called.
    public let operation: OperationInfo
    /// The actions the call needs, primary first, then the dependent ones the call's parameters
    /// show are needed.
    public let actions: [String]
    /// Conditional actions the call's parameters do not settle: reported, not granted.
    public let mayAlsoNeed: [String]

    /// Whether the call needs no IAM permission.
    public var isPermissionless: Bool { operation.isPermissionless }
    /// Whether the table maps the operation to nothing.
    public var isUnmapped: Bool { operation.isUnmapped }
}
