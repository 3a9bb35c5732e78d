/// How a service talks HTTP: botocore's `protocol`, which says where a request names its
/// operation and how its body is encoded.
public enum ServiceProtocol: String, Sendable, Hashable, CaseIterable {
    /// JSON bodies; the operation is in `X-Amz-Target`.
    case json
    /// Form bodies; the operation is the `Action` parameter.
    case query
    /// EC2's variant of `query`.
    case ec2
    /// JSON bodies; the operation is told by the method, path and query (request URI templates).
    case restJSON = "rest-json"
    /// XML bodies; the operation is told by the method, path and query (request URI templates).
    case restXML = "rest-xml"
    /// CBOR bodies; the operation is in the path, `/service/S/operation/O`.
    case smithyRPCv2CBOR = "smithy-rpc-v2-cbor"

    /// Whether the operation is told by the request URI templates (`rest-json`, `rest-xml`).
    public var isREST: Bool { self == .restJSON || self == .restXML }
}
