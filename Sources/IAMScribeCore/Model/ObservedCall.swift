import Foundation

/// One AWS API call as iamscribe observed it: what was called, by whom, and how it ended.
public struct ObservedCall: Sendable, Hashable, Codable {
    /// Where a call was learned from.
    public enum Source: String, Sendable, Hashable, Codable {
        /// An SDK's client-side monitoring event.
        case csm
        /// A decoded network packet or capture file.
        case pcap
        /// A TLS connection seen on the network: the service is known, the operation is not.
        case tls
    }

    /// Where the call was learned from.
    public var source: Source
    /// When the call was made (the event's timestamp, or when it was captured).
    public var time: Date
    /// The service as the client named it (a CSM serviceId, a signing name, a module name).
    public var service: String
    /// The operation name.
    public var operation: String
    /// The region the call went to, when known.
    public var region: String?
    /// The final HTTP status code, when known.
    public var httpStatus: Int?
    /// The AWS or SDK error code the call ended with, when it failed.
    public var errorCode: String?
    /// The CSM client id of the emitting process, when any.
    public var clientID: String?
    /// The access key id that signed the call, kept for attribution and shown only redacted.
    public var accessKeyID: AccessKeyID?
    /// The endpoint host the call went to, when known.
    public var endpoint: String?
    /// Input members that name resources or roles, by member name; nil when the call's
    /// parameters are unknown (CSM carries none).
    public var parameters: [String: String]?

    /// Creates a call.
    public init(
        source: Source, time: Date, service: String, operation: String, region: String? = nil,
        httpStatus: Int? = nil, errorCode: String? = nil, clientID: String? = nil,
        accessKeyID: AccessKeyID? = nil, endpoint: String? = nil, parameters: [String: String]? = nil
    ) {
        self.source = source
        self.time = time
        self.service = service
        self.operation = operation
        self.region = region
        self.httpStatus = httpStatus
        self.errorCode = errorCode
        self.clientID = clientID
        self.accessKeyID = accessKeyID
        self.endpoint = endpoint
        self.parameters = parameters
    }

    /// Whether the call failed: an HTTP status of 400 or more, or an error code.
    public var failed: Bool {
        if let httpStatus, httpStatus >= 400 { return true }
        return !(errorCode ?? "").isEmpty
    }
}
