/// Classifies observed calls against the action table: mapped (with the actions they need and
/// those they may also need), permissionless, unmapped, or naming an unknown service or
/// operation. The one resolution path: the policy builder and the evaluator's resolver both
/// take their calls' classification from here.
///
/// Classifying is a few dictionary lookups. It never searches the table for names close to an
/// unknown one ("did you mean"): that search costs milliseconds per name, and names in datagrams
/// are whatever a sender chose. Suggestions belong to one-off paths
/// (``ActionTable/serviceSuggestions(for:)``, and ``ResolutionNotes/suggesting(from:)`` for a
/// report's few examples).
public struct CallClassifier: Sendable {
    /// The table calls are classified against.
    public let table: ActionTable

    /// Creates a classifier.
    ///
    /// - Parameter table: The action table.
    public init(table: ActionTable = .bundled) {
        self.table = table
    }

    /// Classifies one call.
    ///
    /// - Parameter call: The call.
    /// - Returns: What the table makes of it, its parameters considered.
    public func classify(_ call: ObservedCall) -> CallResolution {
        classify(service: call.service, operation: call.operation, parameters: call.parameters)
    }

    /// Classifies a call by its names.
    ///
    /// - Parameters:
    ///   - service: Any name of the service (see ``ActionTable/service(named:)``).
    ///   - operation: The operation, matched case-insensitively.
    ///   - parameters: The call's input members when known, by member name; nil when unknown
    ///     (CSM): conditional actions then go to ``CallPermissions/mayAlsoNeed``.
    /// - Returns: What the table makes of the call.
    public func classify(service: String, operation: String, parameters: [String: String]? = nil) -> CallResolution {
        guard let serviceInfo = table.service(named: service) else { return .unknownService }
        guard let operationInfo = table.operation(operation, of: serviceInfo) else { return .unknownOperation(serviceInfo) }
        let needed = ActionTable.actions(of: operationInfo, parameters: parameters)
        let permissions = CallPermissions(service: serviceInfo, operation: operationInfo, actions: needed.actions,
                                          mayAlsoNeed: needed.mayAlsoNeed)
        if permissions.isPermissionless { return .permissionless(permissions) }
        if permissions.isUnmapped { return .unmapped(permissions) }
        return .mapped(permissions)
    }
}
