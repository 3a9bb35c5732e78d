extension ActionTable {
    /// One operation whose calls hand a role to the service, for `table passrole`.
    public struct PassRoleOperation: Sendable, Hashable {
        /// The service.
        public let service: ServiceInfo
        /// The operation.
        public let operation: OperationInfo
        /// When the operation needs `iam:PassRole`.
        public let requirement: OperationInfo.RoleHandOff.Requirement
        /// The members that hand a role over, with when each needs `iam:PassRole`. Empty when
        /// an override names `iam:PassRole` without a member path.
        public let members: [OperationInfo.RoleHandOff]
    }

    /// Every operation that needs `iam:PassRole`, always or conditionally, in the table's order
    /// (by service module, then operation name).
    public var passRoleOperations: [PassRoleOperation] {
        services.flatMap { service in
            operations(of: service).compactMap { operation in
                operation.passRole.map {
                    PassRoleOperation(service: service, operation: operation, requirement: $0, members: operation.roleHandOffs)
                }
            }
        }
    }
}
