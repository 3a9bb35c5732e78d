/// The resources one recording saw given a customer managed KMS key (``EncryptedResourceRules``),
/// so that later calls on them need the actions of their `(encrypted)` trigger. The policy
/// builder and the diff each keep one, and feed it their calls in order.
package struct EncryptedResourceTracker: Sendable {
    /// The resources marked so far (service module and resource name).
    package var resources: Set<String> = []

    package init() {}

    /// Marks the resource a call gives a customer managed key, and tells a call on a marked
    /// resource by adding the pseudo-member ``OperationInfo/encryptedTrigger`` to its parameters.
    ///
    /// - Parameters:
    ///   - module: The service's botocore module.
    ///   - operation: The operation called.
    ///   - parameters: The call's parameters.
    /// - Returns: The parameters, the pseudo-member added when the call's resource is encrypted.
    package mutating func parameters(module: String, operation: OperationInfo, _ parameters: [String: String]) -> [String: String] {
        guard EncryptedResourceRules.concerns(module: module) else { return parameters }
        return self.parameters(module: module, operation: operation, rule: EncryptedResourceRules.rule(module: module, operation: operation),
                               parameters)
    }

    /// The same, with the operation's rule looked up once (a recording caches it per operation).
    package mutating func parameters(module: String, operation: OperationInfo, rule: EncryptedResourceRules.Rule,
                                     _ parameters: [String: String]) -> [String: String] {
        if let marker = rule.marker, let resource = EncryptedResourceRules.encryptedResource(module: module, marker: marker, parameters: parameters) {
            resources.insert(resource)
        }
        guard rule.needsEncryption, !resources.isEmpty,
              let resource = EncryptedResourceRules.resource(module: module, parameters: parameters),
              resources.contains(resource)
                || EncryptedResourceRules.object(module: module, parameters: parameters).map(resources.contains) == true
        else { return parameters }
        var parameters = parameters
        parameters[OperationInfo.encryptedTrigger] = ""
        return parameters
    }
}
