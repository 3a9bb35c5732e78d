#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Turns CloudTrail events into observed calls: sorts out what is not an API call of the
/// principal asked about, maps the names, and counts everything it leaves out.
struct CloudTrailCallMaker: Sendable {
    /// The most request parameters kept of one call.
    static let maximumParameters = 64

    let names: CloudTrailNames
    let filter: CloudTrailFilter
    /// The request parameters kept of a call (nil: all of them): those a policy can depend on,
    /// so that calls differing in nothing else are one distinct call.
    let parameterNames: CloudTrailParameterNames?
    /// What source and event names came to, kept per thread (each share has its own copy):
    /// resolving lowercases and looks up several names, and a trail repeats a few hundred.
    private var resolved: [NameKey: CloudTrailNames.Resolved] = [:]
    /// Whether a member name is kept (``parameterNames``), per thread for the same reason: a
    /// trail repeats a few hundred names, and deciding builds four strings.
    private var kept: [String: Bool] = [:]

    private struct NameKey: Hashable {
        let source: String
        let name: String
    }

    init(names: CloudTrailNames, filter: CloudTrailFilter, parameterNames: CloudTrailParameterNames? = .bundled) {
        self.names = names
        self.filter = filter
        self.parameterNames = parameterNames
    }

    /// DynamoDB's item-level operations (data events).
    static let dynamoDBItemOperations: Set<String> = [
        "getitem", "putitem", "updateitem", "deleteitem", "query", "scan", "batchgetitem", "batchwriteitem",
        "transactgetitems", "transactwriteitems", "executestatement", "batchexecutestatement", "executetransaction",
    ]

    /// The call an event is, or nil when it is left out (counted in `statistics`).
    ///
    /// - Parameters:
    ///   - record: The event.
    ///   - weight: How many events it stands for (an Athena result row stands for `calls`).
    ///   - statistics: Where it is counted.
    mutating func call(from record: CloudTrailRecord, weight: Int = 1, _ statistics: inout CloudTrailStatistics) -> ObservedCall? {
        statistics.records += weight
        statistics.note(time: record.eventTime)
        let type = record.eventType ?? "AwsApiCall"
        statistics.count(type, in: \.eventTypes, by: weight)
        switch type {
        case "AwsApiCall": break
        case "AwsServiceEvent": return leave(weight, .serviceEvent, &statistics)
        case "AwsConsoleSignIn": return leave(weight, .consoleSignIn, &statistics)
        case "AwsConsoleAction": return leave(weight, .consoleAction, &statistics)
        default: return leave(weight, .otherEventType, &statistics)
        }
        if record.identityType == "AWSService" { return leave(weight, .serviceIdentity, &statistics) }
        guard let source = record.eventSource, let name = record.eventName, let time = record.eventTime else {
            return leave(weight, .notAnOperation, &statistics)
        }
        if !filter.principals.isEmpty && !filter.principals.contains(where: { $0.matches(record) }) {
            return leave(weight, .otherPrincipal, &statistics)
        }
        if let since = filter.since, time < since { return leave(weight, .outsideTime, &statistics) }
        if let until = filter.until, time >= until { return leave(weight, .outsideTime, &statistics) }
        let prefix = CloudTrailNames.prefix(of: source)
        if !filter.eventSources.isEmpty && !filter.eventSources.contains(prefix) { return leave(weight, .otherSource, &statistics) }
        let key = NameKey(source: source, name: name)
        let resolution: CloudTrailNames.Resolved
        if let known = resolved[key] {
            resolution = known
        } else {
            resolution = names.resolve(eventSource: source, eventName: name)
            if resolved.count < 10_000 { resolved[key] = resolution }
        }
        guard case .operation(let service, let operation) = resolution else {
            statistics.count("\(source) \(String(name.unicodeScalars.prefix(UnknownNames.nameLimit)))", in: \.notOperations, by: weight)
            return leave(weight, .notAnOperation, &statistics)
        }
        if !filter.regions.isEmpty, !filter.regions.contains(record.awsRegion ?? "") {
            guard CloudTrailNames.isGlobal(service) else { return leave(weight, .otherRegion, &statistics) }
            statistics.globalCallsKept += weight
        }

        statistics.calls += weight
        if !(record.errorCode ?? "").isEmpty { statistics.failedCalls += weight }
        statistics.count(service.module, in: \.services, by: weight)
        statistics.count(Self.principal(of: record), in: \.principals, by: weight)
        if let invoker = record.invokedBy {
            statistics.count("\(invoker) → \(service.iamPrefix):\(operation.name)", in: \.invokedBy, by: weight)
        }
        noteCoverage(record, weight: weight, service: service, operation: operation, &statistics)

        var parameters = record.parameters
        if let parameterNames, let all = parameters {
            parameters = all.filter { member in
                if let known = kept[member.key] { return known }
                let keeps = parameterNames.keeps(member.key)
                if kept.count < 10_000 { kept[member.key] = keeps }
                return keeps
            }
        }
        if let all = parameters, all.count > Self.maximumParameters {
            parameters = Dictionary(uniqueKeysWithValues: all.sorted { $0.key < $1.key }.prefix(Self.maximumParameters).map { ($0.key, $0.value) })
        }
        return ObservedCall(
            source: .cloudtrail, time: time, service: service.module, operation: operation.name,
            region: record.awsRegion, errorCode: (record.errorCode ?? "").isEmpty ? nil : record.errorCode,
            parameters: parameters, account: record.recipientAccountID ?? record.identityAccountID,
            resourceARNs: record.resourceARNs.isEmpty ? nil : record.resourceARNs.sorted()
        )
    }

    private func leave(_ weight: Int, _ reason: CloudTrailStatistics.LeftOut, _ statistics: inout CloudTrailStatistics) -> ObservedCall? {
        statistics.leftOut[reason, default: 0] += weight
        return nil
    }

    /// The principal as the report names it: the role of a session, else the identity's ARN.
    static func principal(of record: CloudTrailRecord) -> String {
        if let issuer = record.sessionIssuerARN { return issuer }
        if let arn = record.identityARN { return arn }
        return [record.identityType ?? "unknown identity", record.identityAccountID ?? ""].joined(separator: " ")
    }

    private func noteCoverage(_ record: CloudTrailRecord, weight: Int, service: ServiceInfo, operation: OperationInfo,
                              _ statistics: inout CloudTrailStatistics) {
        let isData = record.eventCategory == "Data"
        if isData { statistics.count(service.module, in: \.dataEvents, by: weight) }
        let parameters = record.parameters ?? [:]
        switch service.module {
        case "s3":
            if isData {
                statistics.s3ObjectCalls += weight
            } else if let bucket = parameters["bucketName"], !bucket.isEmpty {
                statistics.name(bucket, in: \.bucketsNamed)
            }
        case "lambda":
            let lower = operation.name.lowercased()
            if lower == "invoke" || lower == "invokewithresponsestream" || lower == "invokeasync" {
                statistics.lambdaInvokes += weight
            } else if let function = parameters["functionName"], !function.isEmpty {
                statistics.name(function, in: \.functionsNamed)
            }
        case "dynamodb":
            if Self.dynamoDBItemOperations.contains(operation.name.lowercased()) {
                statistics.dynamoDBItemCalls += weight
            } else if let table = parameters["tableName"], !table.isEmpty {
                statistics.name(table, in: \.tablesNamed)
            }
        default:
            break
        }
    }
}
