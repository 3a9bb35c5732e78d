/// One client-side monitoring event, as an AWS SDK sends it.
///
/// Only the fields iamscribe uses are kept. The session token that `ApiCallAttempt` events carry
/// is never read into memory.
public struct CSMEvent: Sendable, Hashable {
    /// The two kinds of event.
    public enum Kind: String, Sendable, Hashable {
        /// One per call: its final outcome.
        case apiCall = "ApiCall"
        /// One per HTTP attempt: the key id, endpoint and the attempt's outcome.
        case apiCallAttempt = "ApiCallAttempt"
    }

    /// The kind of event.
    public var kind: Kind
    /// The `ClientId` the SDK was configured with (empty when none).
    public var clientID: String
    /// The SDK's service id, for example `S3` or `API Gateway`.
    public var service: String
    /// The operation name.
    public var api: String
    /// Milliseconds since 1970, when the SDK sent one.
    public var timestamp: Int64?
    /// The region of the call.
    public var region: String?
    /// `FinalHttpStatusCode` of an `ApiCall`, `HttpStatusCode` of an attempt.
    public var httpStatus: Int?
    /// The AWS exception (or, when none, the SDK exception) the call or attempt ended with.
    public var exception: String?
    /// The access key id of an attempt.
    public var accessKey: String?
    /// The endpoint host of an attempt.
    public var fqdn: String?

    /// Creates an event.
    public init(kind: Kind, clientID: String = "", service: String, api: String, timestamp: Int64? = nil,
                region: String? = nil, httpStatus: Int? = nil, exception: String? = nil,
                accessKey: String? = nil, fqdn: String? = nil) {
        self.kind = kind
        self.clientID = clientID
        self.service = service
        self.api = api
        self.timestamp = timestamp
        self.region = region
        self.httpStatus = httpStatus
        self.exception = exception
        self.accessKey = accessKey
        self.fqdn = fqdn
    }
}
