#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

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
        /// A CloudTrail event (a delivered log file, a Lake or event history export, an Athena result).
        case cloudtrail
        /// An exchange decrypted by iamscribe's HTTPS proxy.
        case proxy
    }

    /// The fields, in one object that copies share until one of them changes (copy on write):
    /// a call passes from stage to stage, and a copy is then one reference rather than one for
    /// each of its strings. The object is changed only through a call that holds the sole
    /// reference to it, so no two accesses to a field can overlap and the runtime's exclusivity
    /// checks (as costly as the rest of a field access) are left out.
    private final class Storage: @unchecked Sendable {
        @exclusivity(unchecked) var source: Source
        @exclusivity(unchecked) var time: Date
        @exclusivity(unchecked) var service: String
        @exclusivity(unchecked) var operation: String
        @exclusivity(unchecked) var region: String?
        @exclusivity(unchecked) var httpStatus: Int?
        @exclusivity(unchecked) var errorCode: String?
        @exclusivity(unchecked) var clientID: String?
        @exclusivity(unchecked) var accessKeyID: AccessKeyID?
        @exclusivity(unchecked) var endpoint: String?
        @exclusivity(unchecked) var parameters: [String: String]?
        @exclusivity(unchecked) var account: String?
        @exclusivity(unchecked) var resourceARNs: [String]?

        init(source: Source, time: Date, service: String, operation: String, region: String?, httpStatus: Int?, errorCode: String?, clientID: String?, accessKeyID: AccessKeyID?, endpoint: String?, parameters: [String: String]?, account: String?, resourceARNs: [String]?) {
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
            self.account = account
            self.resourceARNs = resourceARNs
        }

        func copy() -> Storage {
            Storage(source: source, time: time, service: service, operation: operation, region: region, httpStatus: httpStatus, errorCode: errorCode, clientID: clientID, accessKeyID: accessKeyID, endpoint: endpoint, parameters: parameters, account: account, resourceARNs: resourceARNs)
        }
    }

    private var storage: Storage

    /// Where the call was learned from.
    public var source: Source {
        get { storage.source }
        _modify {
            let storage = unique()
            yield &storage.source
        }
        set { unique().source = newValue }
    }

    /// When the call was made (the event's timestamp, or when it was captured).
    public var time: Date {
        get { storage.time }
        _modify {
            let storage = unique()
            yield &storage.time
        }
        set { unique().time = newValue }
    }

    /// The service as the client named it (a CSM serviceId, a signing name, a module name).
    public var service: String {
        get { storage.service }
        _modify {
            let storage = unique()
            yield &storage.service
        }
        set { unique().service = newValue }
    }

    /// The operation name.
    public var operation: String {
        get { storage.operation }
        _modify {
            let storage = unique()
            yield &storage.operation
        }
        set { unique().operation = newValue }
    }

    /// The region the call went to, when known.
    public var region: String? {
        get { storage.region }
        _modify {
            let storage = unique()
            yield &storage.region
        }
        set { unique().region = newValue }
    }

    /// The final HTTP status code, when known.
    public var httpStatus: Int? {
        get { storage.httpStatus }
        _modify {
            let storage = unique()
            yield &storage.httpStatus
        }
        set { unique().httpStatus = newValue }
    }

    /// The AWS or SDK error code the call ended with, when it failed.
    public var errorCode: String? {
        get { storage.errorCode }
        _modify {
            let storage = unique()
            yield &storage.errorCode
        }
        set { unique().errorCode = newValue }
    }

    /// The CSM client id of the emitting process, when any.
    public var clientID: String? {
        get { storage.clientID }
        _modify {
            let storage = unique()
            yield &storage.clientID
        }
        set { unique().clientID = newValue }
    }

    /// The access key id that signed the call, kept for attribution and shown only redacted.
    public var accessKeyID: AccessKeyID? {
        get { storage.accessKeyID }
        _modify {
            let storage = unique()
            yield &storage.accessKeyID
        }
        set { unique().accessKeyID = newValue }
    }

    /// The endpoint host the call went to, when known.
    public var endpoint: String? {
        get { storage.endpoint }
        _modify {
            let storage = unique()
            yield &storage.endpoint
        }
        set { unique().endpoint = newValue }
    }

    /// Input members that name resources or roles, by member name; nil when the call's
    /// parameters are unknown (CSM carries none).
    public var parameters: [String: String]? {
        get { storage.parameters }
        _modify {
            let storage = unique()
            yield &storage.parameters
        }
        set { unique().parameters = newValue }
    }

    /// The 12-digit account the call was made in, when the source says (CloudTrail's
    /// `recipientAccountId`); nil for sources that do not tell.
    public var account: String? {
        get { storage.account }
        _modify {
            let storage = unique()
            yield &storage.account
        }
        set { unique().account = newValue }
    }

    /// The resources the call acted on, by ARN, when the source lists them (CloudTrail's
    /// `resources[].ARN`); nil when it does not.
    public var resourceARNs: [String]? {
        get { storage.resourceARNs }
        _modify {
            let storage = unique()
            yield &storage.resourceARNs
        }
        set { unique().resourceARNs = newValue }
    }

    /// The storage, copied first when other calls share it.
    private mutating func unique() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage
    }

    /// Creates a call.
    public init(
        source: Source, time: Date, service: String, operation: String, region: String? = nil,
        httpStatus: Int? = nil, errorCode: String? = nil, clientID: String? = nil,
        accessKeyID: AccessKeyID? = nil, endpoint: String? = nil, parameters: [String: String]? = nil,
        account: String? = nil, resourceARNs: [String]? = nil
    ) {
        storage = Storage(source: source, time: time, service: service, operation: operation, region: region, httpStatus: httpStatus, errorCode: errorCode, clientID: clientID, accessKeyID: accessKeyID, endpoint: endpoint, parameters: parameters, account: account, resourceARNs: resourceARNs)
    }

    public static func == (a: ObservedCall, b: ObservedCall) -> Bool {
        if a.storage === b.storage { return true }
        return a.source == b.source
            && a.time == b.time
            && a.service == b.service
            && a.operation == b.operation
            && a.region == b.region
            && a.httpStatus == b.httpStatus
            && a.errorCode == b.errorCode
            && a.clientID == b.clientID
            && a.accessKeyID == b.accessKeyID
            && a.endpoint == b.endpoint
            && a.parameters == b.parameters
            && a.account == b.account
            && a.resourceARNs == b.resourceARNs
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(source)
        hasher.combine(time)
        hasher.combine(service)
        hasher.combine(operation)
        hasher.combine(region)
        hasher.combine(httpStatus)
        hasher.combine(errorCode)
        hasher.combine(clientID)
        hasher.combine(accessKeyID)
        hasher.combine(endpoint)
        hasher.combine(parameters)
        hasher.combine(account)
        hasher.combine(resourceARNs)
    }

    private enum CodingKeys: String, CodingKey {
        case source, time, service, operation, region, httpStatus, errorCode, clientID, accessKeyID, endpoint, parameters, account, resourceARNs
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            source: try container.decode(Source.self, forKey: .source),
            time: try container.decode(Date.self, forKey: .time),
            service: try container.decode(String.self, forKey: .service),
            operation: try container.decode(String.self, forKey: .operation),
            region: try container.decodeIfPresent(String.self, forKey: .region),
            httpStatus: try container.decodeIfPresent(Int.self, forKey: .httpStatus),
            errorCode: try container.decodeIfPresent(String.self, forKey: .errorCode),
            clientID: try container.decodeIfPresent(String.self, forKey: .clientID),
            accessKeyID: try container.decodeIfPresent(AccessKeyID.self, forKey: .accessKeyID),
            endpoint: try container.decodeIfPresent(String.self, forKey: .endpoint),
            parameters: try container.decodeIfPresent([String: String].self, forKey: .parameters),
            account: try container.decodeIfPresent(String.self, forKey: .account),
            resourceARNs: try container.decodeIfPresent([String].self, forKey: .resourceARNs)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(source, forKey: .source)
        try container.encode(time, forKey: .time)
        try container.encode(service, forKey: .service)
        try container.encode(operation, forKey: .operation)
        try container.encodeIfPresent(region, forKey: .region)
        try container.encodeIfPresent(httpStatus, forKey: .httpStatus)
        try container.encodeIfPresent(errorCode, forKey: .errorCode)
        try container.encodeIfPresent(clientID, forKey: .clientID)
        try container.encodeIfPresent(accessKeyID, forKey: .accessKeyID)
        try container.encodeIfPresent(endpoint, forKey: .endpoint)
        try container.encodeIfPresent(parameters, forKey: .parameters)
        try container.encodeIfPresent(account, forKey: .account)
        try container.encodeIfPresent(resourceARNs, forKey: .resourceARNs)
    }

    /// Whether the call failed: an HTTP status of 400 or more, or an error code.
    public var failed: Bool {
        if let httpStatus, httpStatus >= 400 { return true }
        return !(errorCode ?? "").isEmpty
    }
}
