/// What the action table makes of one observed call: the one classification the policy builder
/// and the evaluator's resolver both start from (see ``CallClassifier``).
public enum CallResolution: Sendable, Hashable {
    /// The table maps the call to actions: those it needs and those it may also need.
    case mapped(CallPermissions)
    /// The call needs no IAM permission (`sts:GetCallerIdentity`, bearer-token APIs).
    case permissionless(CallPermissions)
    /// The table knows the operation but maps it to no action.
    case unmapped(CallPermissions)
    /// No service the table knows goes by the call's service name.
    case unknownService
    /// The service is known; the operation is not one of its operations.
    case unknownOperation(ServiceInfo)
}

extension CallPermissions {
    /// The call's name in notes on permissionless calls: `prefix:Operation` (the module name
    /// when the service has no IAM prefix).
    public var actionStyleName: String {
        "\(service.iamPrefix.isEmpty ? service.module : service.iamPrefix):\(operation.name)"
    }

    /// The call's name in notes on unmapped calls: `module.Operation`.
    public var moduleStyleName: String {
        "\(service.module).\(operation.name)"
    }

    /// The call's name as clients know it, `Service Operation` (botocore's serviceId, as CSM
    /// sends it): the name of the operations that may also need an action.
    public var operationName: String {
        "\(service.serviceID) \(operation.name)"
    }
}
