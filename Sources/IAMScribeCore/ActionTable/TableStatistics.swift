/// Counts that tell how complete the action table is.
public struct TableStatistics: Sendable, Codable, Equatable {
    /// Services in the table.
    public let services: Int
    /// Operations across all services.
    public let operations: Int
    /// Operations mapped to at least one action.
    public let mapped: Int
    /// Operations mapped to nothing (and not permissionless).
    public let unmapped: Int
    /// Operations that need no permission.
    public let permissionless: Int
    /// Operations whose every call hands a role to the service (`iam:PassRole` always needed).
    public let passRoleAlways: Int
    /// Operations whose calls hand a role to the service only with some input
    /// (`iam:PassRole` conditional).
    public let passRoleConditional: Int
    /// Operations with hand-written resource fills (``OperationInfo/resourceFills``): how their
    /// parameters fill their actions' ARN templates. The others fill each variable from the member
    /// of the same name.
    public let resourceMappings: Int
    /// Services with at least one such operation.
    public let resourceMappedServices: Int
    /// IAM prefixes in the bundled IAM data.
    public let iamPrefixes: Int
    /// Actions in the bundled IAM data.
    public let iamActions: Int
    /// The pinned packages the table was generated from.
    public let inputs: [String]
}

extension ActionTable {
    /// Counts over the whole table (parses every block once).
    public var statistics: TableStatistics {
        var count = 0, mapped = 0, unmapped = 0, permissionless = 0, passRoleAlways = 0, passRoleConditional = 0
        var resourceMappings = 0, resourceMappedServices = 0
        for index in services.indices {
            var serviceHasFills = false
            for operation in Set(operations(ofServiceAt: index).values) {
                count += 1
                if !operation.resourceFills.isEmpty {
                    resourceMappings += 1
                    serviceHasFills = true
                }
                if operation.isPermissionless { permissionless += 1 } else if operation.isUnmapped { unmapped += 1 } else { mapped += 1 }
                switch operation.passRole {
                case .always?: passRoleAlways += 1
                case .when?, .undetermined?: passRoleConditional += 1
                case nil: break
                }
            }
            if serviceHasFills { resourceMappedServices += 1 }
        }
        let actions = iamPrefixes.reduce(0) { $0 + (iamService(prefix: $1)?.actions.count ?? 0) }
        return TableStatistics(services: services.count, operations: count, mapped: mapped, unmapped: unmapped,
                               permissionless: permissionless, passRoleAlways: passRoleAlways,
                               passRoleConditional: passRoleConditional, resourceMappings: resourceMappings,
                               resourceMappedServices: resourceMappedServices, iamPrefixes: iamPrefixes.count, iamActions: actions, inputs: inputs)
    }
}
