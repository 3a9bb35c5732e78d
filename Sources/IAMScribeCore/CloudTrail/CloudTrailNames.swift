/// From a CloudTrail event's names to the action table's: `eventSource` to a service,
/// `eventName` to one of its operations. Nothing is guessed: a name that does not resolve
/// through the rules below is reported, not matched to a near one.
///
/// The rules, in order:
///
/// 1. `eventSource` is `PREFIX.amazonaws.com`. The services whose endpoint prefix or signing name
///    is `PREFIX`, and the service a client names `PREFIX`, are the candidates: several services
///    log under one source (Elastic Load Balancing v1 and v2 under `elasticloadbalancing`, SES v1
///    and v2 under `ses`, API Gateway v1 and v2 under `apigateway`), and the event's operation
///    picks among them.
/// 2. ``sourceExceptions``: sources whose service neither name gives, written down with why.
/// 3. `eventName` is the operation, case-insensitively; else, for the services that log a
///    version suffix (Lambda `GetFunction20150331v2`, CloudFront `CreateDistribution2020_05_31`;
///    newer CloudFront records give the bare name and the version in `apiVersion`), the name
///    without it; else ``eventNameExceptions`` (S3 names that are not API operations, each with
///    the service it belongs to).
struct CloudTrailNames: Sendable {
    /// Sources whose services the table's endpoint prefixes and signing names do not give.
    static let sourceExceptions: [String: [String]] = [
        // CloudWatch: the endpoint prefix is `monitoring` (the table has it), and the event
        // names (`PutMetricData`, `GetMetricData`) are CloudWatch's, not CloudWatch Logs'.
        "monitoring": ["cloudwatch"],
        // S3: data events (GetObject, PutObject) and bucket management events share the source;
        // the account-level S3 Control calls (PutPublicAccessBlock for an account) log it too.
        "s3": ["s3", "s3control"],
        // SES v1 and v2 share the source; Pinpoint Email, which also signs as `ses`, is older
        // than v2 and has its operations, so it comes last.
        "ses": ["ses", "sesv2"],
        // IAM Identity Center logs its administration API (sso-admin, endpoint `sso`) and the
        // AWS access portal's calls (GetRoleCredentials, ListAccounts: the `sso` model, whose
        // endpoint is `portal.sso`) under `sso`. Identity Store calls log under their own
        // `identitystore` source, and the console's directory calls under `sso-directory`, which
        // no model describes: neither is looked for here.
        "sso": ["sso-admin", "sso"],
        // DynamoDB Streams' data events log under DynamoDB's source.
        "dynamodb": ["dynamodb", "dynamodbstreams"],
        // Kinesis Data Analytics v1 and v2 share a source.
        "kinesisanalytics": ["kinesisanalyticsv2", "kinesisanalytics"],
        // OpenSearch Service logs as `es` for both of its APIs.
        "es": ["opensearch", "es"],
    ]

    /// An operation an event name stands for: the service (module) and the operation's name.
    struct Renamed: Sendable {
        let module: String
        let operation: String
    }

    /// Event names S3 logs that are not its API's operation names (the S3 guide's lists of
    /// bucket-level and account-level actions CloudTrail logs), with the operation they record.
    /// The service is named: the account's public access block (S3 Control) and a bucket's
    /// (S3) have operations of the same name, told apart in the event name only.
    static let eventNameExceptions: [String: [String: Renamed]] = [
        "s3": [
            "getbucketpublicaccessblock": Renamed(module: "s3", operation: "GetPublicAccessBlock"),
            "putbucketpublicaccessblock": Renamed(module: "s3", operation: "PutPublicAccessBlock"),
            "deletebucketpublicaccessblock": Renamed(module: "s3", operation: "DeletePublicAccessBlock"),
            "getbucketobjectlockconfiguration": Renamed(module: "s3", operation: "GetObjectLockConfiguration"),
            "putbucketobjectlockconfiguration": Renamed(module: "s3", operation: "PutObjectLockConfiguration"),
            "getaccountpublicaccessblock": Renamed(module: "s3control", operation: "GetPublicAccessBlock"),
            "putaccountpublicaccessblock": Renamed(module: "s3control", operation: "PutPublicAccessBlock"),
            "deleteaccountpublicaccessblock": Renamed(module: "s3control", operation: "DeletePublicAccessBlock"),
        ],
    ]

    /// Services logged in `us-east-1` whatever region their caller works in (they have one
    /// endpoint): a `--region` filter keeps their events. The table's global flag says which,
    /// plus STS's global endpoint (`sts.amazonaws.com`), whose events are logged in us-east-1.
    static func isGlobal(_ service: ServiceInfo) -> Bool {
        service.isGlobal || service.module == "sts"
    }

    /// The event sources of the services ``isGlobal(_:)`` names, as the Athena query keeps them
    /// under `--region`.
    static func globalEventSources(in table: ActionTable) -> [String] {
        Set(table.services.filter(isGlobal).map { $0.endpointPrefix.lowercased() + ".amazonaws.com" }).sorted()
    }

    let table: ActionTable
    private let byPrefix: [String: [ServiceInfo]]

    init(table: ActionTable) {
        self.table = table
        var byPrefix: [String: [ServiceInfo]] = [:]
        for service in table.services {
            for name in Set([service.endpointPrefix.lowercased(), service.signingName.lowercased()]) where !name.isEmpty {
                byPrefix[name, default: []].append(service)
            }
        }
        self.byPrefix = byPrefix
    }

    /// The source's name before `.amazonaws.com` (`s3` for `s3.amazonaws.com`), lowercased.
    static func prefix(of eventSource: String) -> String {
        let lower = eventSource.lowercased()
        for suffix in [".amazonaws.com", ".amazonaws.com.cn", ".api.aws"] where lower.hasSuffix(suffix) {
            return String(lower.dropLast(suffix.count))
        }
        return lower
    }

    /// The services that may log under a source, most likely first; empty when none does.
    func services(for eventSource: String) -> [ServiceInfo] {
        let prefix = Self.prefix(of: eventSource)
        var found: [ServiceInfo] = []
        func add(_ service: ServiceInfo?) {
            if let service, !found.contains(where: { $0.module == service.module }) { found.append(service) }
        }
        for name in Self.sourceExceptions[prefix] ?? [] { add(table.service(named: name)) }
        add(table.service(named: prefix))
        for service in (byPrefix[prefix] ?? []).sorted(by: { $0.module < $1.module }) { add(service) }
        return found
    }

    /// What a source and event name come to.
    enum Resolved: Sendable {
        /// A service's operation.
        case operation(ServiceInfo, OperationInfo)
        /// A known service, but no operation of it goes by the name.
        case unknownOperation(ServiceInfo)
        /// No service logs under the source.
        case unknownSource
    }

    /// Resolves an event's source and name.
    func resolve(eventSource: String, eventName: String) -> Resolved {
        let services = services(for: eventSource)
        guard let first = services.first else { return .unknownSource }
        let prefix = Self.prefix(of: eventSource)
        var names = [eventName]
        if let stripped = Self.withoutVersionSuffix(eventName) { names.append(stripped) }
        for name in names {
            for service in services {
                if let operation = table.operation(name, of: service) { return .operation(service, operation) }
            }
        }
        if let renamed = Self.eventNameExceptions[prefix]?[eventName.lowercased()],
           let service = services.first(where: { $0.module == renamed.module }),
           let operation = table.operation(renamed.operation, of: service) {
            return .operation(service, operation)
        }
        return .unknownOperation(first)
    }

    /// `GetFunction20150331v2` → `GetFunction`, `CreateDistribution2020_05_31` →
    /// `CreateDistribution`: the API version some services append to their event names.
    static func withoutVersionSuffix(_ name: String) -> String? {
        var bytes = Array(name.utf8)
        // An optional `v` and digits after the date.
        if let v = bytes.lastIndex(of: UInt8(ascii: "v")), v > 0, v < bytes.count - 1,
           bytes[(v + 1)...].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            bytes.removeSubrange(v...)
        }
        let isDigit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        if bytes.count > 8, bytes.suffix(8).allSatisfy(isDigit), bytes.suffix(8).starts(with: Array("20".utf8)) {
            return String(decoding: bytes.dropLast(8), as: UTF8.self)
        }
        if bytes.count > 10 {
            let tail = Array(bytes.suffix(10))
            if tail[4] == UInt8(ascii: "_"), tail[7] == UInt8(ascii: "_"),
               tail.enumerated().allSatisfy({ $0.offset == 4 || $0.offset == 7 || isDigit($0.element) }) {
                return String(decoding: bytes.dropLast(10), as: UTF8.self)
            }
        }
        return nil
    }
}
