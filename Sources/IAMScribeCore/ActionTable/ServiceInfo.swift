/// One AWS service as the action table knows it: its names, its IAM prefix and how it talks HTTP.
///
/// The fields live in one shared, immutable object: decoders copy a service for every request,
/// and a copy is then one reference rather than one for each name.
public struct ServiceInfo: Sendable, Hashable {
    private final class Storage: Sendable {
        let module: String
        let serviceID: String
        let iamPrefix: String
        let wireProtocol: ServiceProtocol
        let otherProtocols: [ServiceProtocol]
        let targetPrefix: String
        let endpointPrefix: String
        let signingName: String
        let isGlobal: Bool
        let names: [String]

        init(module: String, serviceID: String, iamPrefix: String, wireProtocol: ServiceProtocol,
             otherProtocols: [ServiceProtocol], targetPrefix: String, endpointPrefix: String, signingName: String,
             isGlobal: Bool, names: [String]) {
            self.module = module
            self.serviceID = serviceID
            self.iamPrefix = iamPrefix
            self.wireProtocol = wireProtocol
            self.otherProtocols = otherProtocols
            self.targetPrefix = targetPrefix
            self.endpointPrefix = endpointPrefix
            self.signingName = signingName
            self.isGlobal = isGlobal
            self.names = names
        }
    }

    private let storage: Storage

    /// The identity of this service's record in its table: equal for copies of one record.
    var identity: ObjectIdentifier { ObjectIdentifier(storage) }

    /// botocore's module name, for example `s3` or `apigatewayv2`: the table's key for the service.
    public var module: String { storage.module }
    /// botocore's serviceId, the name CSM events carry, for example `API Gateway`.
    public var serviceID: String { storage.serviceID }
    /// The IAM prefix of the service's actions, for example `s3`.
    public var iamPrefix: String { storage.iamPrefix }
    /// The wire protocol: `json`, `rest-json`, `rest-xml`, `query`, `ec2` or `smithy-rpc-v2-cbor`.
    public var wireProtocol: ServiceProtocol { storage.wireProtocol }
    /// The other protocols the service accepts, best first: those botocore's model lists besides
    /// ``wireProtocol`` (CloudWatch: JSON and query besides CBOR), and the query protocol of a
    /// service that moved from it to JSON (SQS), which older SDKs still speak.
    public var otherProtocols: [ServiceProtocol] { storage.otherProtocols }
    /// Whether the service accepts a protocol, as its own or as another one.
    public func accepts(_ wireProtocol: ServiceProtocol) -> Bool {
        self.wireProtocol == wireProtocol || otherProtocols.contains(wireProtocol)
    }
    /// The `X-Amz-Target` prefix of `json` services, empty for the others.
    public var targetPrefix: String { storage.targetPrefix }
    /// The first label of the service's endpoint host name.
    public var endpointPrefix: String { storage.endpointPrefix }
    /// The service name in SigV4 credential scopes.
    public var signingName: String { storage.signingName }
    /// Whether the service has a single global endpoint rather than one per region.
    public var isGlobal: Bool { storage.isGlobal }
    /// Every name a client may use for the service, matched case-insensitively.
    public var names: [String] { storage.names }

    init(module: String, serviceID: String, iamPrefix: String, wireProtocol: ServiceProtocol,
         otherProtocols: [ServiceProtocol] = [], targetPrefix: String, endpointPrefix: String, signingName: String,
         isGlobal: Bool, names: [String]) {
        storage = Storage(module: module, serviceID: serviceID, iamPrefix: iamPrefix, wireProtocol: wireProtocol,
                          otherProtocols: otherProtocols, targetPrefix: targetPrefix, endpointPrefix: endpointPrefix,
                          signingName: signingName, isGlobal: isGlobal, names: names)
    }

    public static func == (a: ServiceInfo, b: ServiceInfo) -> Bool {
        a.storage === b.storage
            || (a.module == b.module && a.serviceID == b.serviceID && a.iamPrefix == b.iamPrefix
                && a.wireProtocol == b.wireProtocol && a.otherProtocols == b.otherProtocols && a.targetPrefix == b.targetPrefix
                && a.endpointPrefix == b.endpointPrefix && a.signingName == b.signingName
                && a.isGlobal == b.isGlobal && a.names == b.names)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(module)
        hasher.combine(serviceID)
        hasher.combine(iamPrefix)
    }
}
