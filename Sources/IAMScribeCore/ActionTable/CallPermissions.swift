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

    /// Why the call may also need a conditional action (its kind in the table).
    ///
    /// - Parameter action: An action of ``mayAlsoNeed``.
    /// - Returns: The kind; the service's behaviour when the operation lists no such conditional action.
    public func conditionKind(of action: String) -> OperationInfo.ConditionKind {
        operation.conditionalActions.first { $0.action == action }?.kind ?? .serviceBehaviour
    }

    /// Whether the call needs no IAM permission.
    public var isPermissionless: Bool { operation.isPermissionless }
    /// Whether the table maps the operation to nothing.
    public var isUnmapped: Bool { operation.isUnmapped }
}
