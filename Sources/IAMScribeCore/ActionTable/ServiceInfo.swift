/// One AWS service as the action table knows it: its names, its IAM prefix and how it talks HTTP.
public struct ServiceInfo: Sendable, Hashable {
    /// botocore's module name, for example `s3` or `apigatewayv2`: the table's key for the service.
    public let module: String
    /// botocore's serviceId, the name CSM events carry, for example `API Gateway`.
    public let serviceID: String
    /// The IAM prefix of the service's actions, for example `s3`.
    public let iamPrefix: String
    /// The wire protocol: `json`, `rest-json`, `rest-xml`, `query`, `ec2` or `smithy-rpc-v2-cbor`.
    public let wireProtocol: String
    /// The `X-Amz-Target` prefix of `json` services, empty for the others.
    public let targetPrefix: String
    /// The first label of the service's endpoint host name.
    public let endpointPrefix: String
    /// The service name in SigV4 credential scopes.
    public let signingName: String
    /// Whether the service has a single global endpoint rather than one per region.
    public let isGlobal: Bool
    /// Every name a client may use for the service, matched case-insensitively.
    public let names: [String]
}
