#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a trail held besides its calls: the coverage report `generate` and `diff` print.
///
/// Every count is a sum, so the statistics of shares read on different threads merge in any
/// order to the same result. Name tallies keep at most ``namesKept`` distinct names each (the
/// rest are counted under ``othersName``): a trail's names come from whoever made the calls.
public struct CloudTrailStatistics: Sendable, Hashable {
    /// Why an event was not taken as a call.
    public enum LeftOut: String, Sendable, Hashable, CaseIterable, Comparable {
        /// `eventType` `AwsServiceEvent`: AWS recorded something it did on its own.
        case serviceEvent = "events AWS recorded on its own (AwsServiceEvent)"
        /// A service acting with its own credentials (`userIdentity.type` `AWSService`).
        case serviceIdentity = "calls a service made as itself (userIdentity AWSService)"
        /// `AwsConsoleSignIn`.
        case consoleSignIn = "console sign-ins"
        /// `AwsConsoleAction`: a console action that is not an API call.
        case consoleAction = "console actions that are not API calls"
        /// Insights, VPC endpoint events and other kinds that are not API calls.
        case otherEventType = "other events that are not API calls (insights, VPC endpoint events)"
        /// An API call whose source and name do not resolve to an operation in the table.
        case notAnOperation = "API call names with no operation in the models"
        /// Another principal's call (`--principal`).
        case otherPrincipal = "other principals' calls"
        /// Before `--since` or from `--until` on.
        case outsideTime = "calls outside --since/--until"
        /// Another region (`--region`).
        case otherRegion = "calls in other regions"
        /// Another source (`--event-source`).
        case otherSource = "calls to other event sources"

        public static func < (a: LeftOut, b: LeftOut) -> Bool {
            (allCases.firstIndex(of: a) ?? 0) < (allCases.firstIndex(of: b) ?? 0)
        }
    }

    /// The most distinct names each tally keeps.
    public static let namesKept = 200
    /// The name the rest are counted under.
    public static let othersName = "(others)"

    /// Files read (a file, or each file of a folder).
    public var files = 0
    /// Records (events) read.
    public var records = 0
    /// Events taken as calls.
    public var calls = 0
    /// Of those, the ones that failed (`errorCode`).
    public var failedCalls = 0
    /// Events by `eventType`.
    public var eventTypes: [String: Int] = [:]
    /// Events left out, by why.
    public var leftOut: [LeftOut: Int] = [:]
    /// The names behind ``LeftOut/notAnOperation``: `source eventName`.
    public var notOperations: [String: Int] = [:]
    /// Calls by the table's service module name.
    public var services: [String: Int] = [:]
    /// Data events (`eventCategory` `Data`) among the calls, by service.
    public var dataEvents: [String: Int] = [:]
    /// Calls a service made with the caller's credentials: `invoker → prefix:Operation`.
    public var invokedBy: [String: Int] = [:]
    /// The principals whose calls were taken (role, user or other identity).
    public var principals: [String: Int] = [:]
    /// Calls of global services (logged in us-east-1) kept whatever `--region` says.
    public var globalCallsKept = 0
    /// The earliest and latest times of the events read (all of them, not only the calls).
    public var earliest: Date?
    public var latest: Date?
    /// S3 buckets, Lambda functions and DynamoDB tables named by management calls.
    public var bucketsNamed: Set<String> = []
    public var functionsNamed: Set<String> = []
    public var tablesNamed: Set<String> = []
    /// Calls that are data events of the three kinds the coverage warnings are about.
    public var s3ObjectCalls = 0
    public var lambdaInvokes = 0
    public var dynamoDBItemCalls = 0

    public init() {}

    /// Events left out, all reasons together.
    public var leftOutTotal: Int { leftOut.values.reduce(0, +) }

    mutating func count(_ name: String, in tally: WritableKeyPath<CloudTrailStatistics, [String: Int]>, by amount: Int = 1) {
        if self[keyPath: tally][name] != nil || self[keyPath: tally].count < Self.namesKept {
            self[keyPath: tally][name, default: 0] += amount
        } else {
            self[keyPath: tally][Self.othersName, default: 0] += amount
        }
    }

    mutating func note(time: Date?) {
        guard let time else { return }
        if earliest.map({ time < $0 }) ?? true { earliest = time }
        if latest.map({ time > $0 }) ?? true { latest = time }
    }

    mutating func name(_ value: String, in set: WritableKeyPath<CloudTrailStatistics, Set<String>>) {
        if self[keyPath: set].count < Self.namesKept { self[keyPath: set].insert(value) }
    }

    /// Adds another share's statistics.
    public mutating func merge(_ other: CloudTrailStatistics) {
        files += other.files
        records += other.records
        calls += other.calls
        failedCalls += other.failedCalls
        for (key, value) in other.eventTypes { count(key, in: \.eventTypes, by: value) }
        for (key, value) in other.leftOut { leftOut[key, default: 0] += value }
        for (key, value) in other.notOperations { count(key, in: \.notOperations, by: value) }
        for (key, value) in other.services { count(key, in: \.services, by: value) }
        for (key, value) in other.dataEvents { count(key, in: \.dataEvents, by: value) }
        for (key, value) in other.invokedBy { count(key, in: \.invokedBy, by: value) }
        for (key, value) in other.principals { count(key, in: \.principals, by: value) }
        globalCallsKept += other.globalCallsKept
        note(time: other.earliest)
        note(time: other.latest)
        for value in other.bucketsNamed.sorted() { name(value, in: \.bucketsNamed) }
        for value in other.functionsNamed.sorted() { name(value, in: \.functionsNamed) }
        for value in other.tablesNamed.sorted() { name(value, in: \.tablesNamed) }
        s3ObjectCalls += other.s3ObjectCalls
        lambdaInvokes += other.lambdaInvokes
        dynamoDBItemCalls += other.dynamoDBItemCalls
    }

    /// Data events that cannot be in the trail, judging by the management events that name
    /// their resources: each a sentence saying what the policy therefore lacks.
    public var coverageWarnings: [String] {
        var warnings: [String] = []
        func names(_ set: Set<String>) -> String {
            let sorted = set.sorted()
            return sorted.prefix(3).joined(separator: ", ") + (sorted.count > 3 ? " and \(sorted.count - 3) more" : "")
        }
        if !bucketsNamed.isEmpty && s3ObjectCalls == 0 {
            warnings.append("the trail names S3 buckets (\(names(bucketsNamed))) but holds no S3 object calls: S3 data events were probably off, so the policy lacks any object permissions (s3:GetObject, s3:PutObject, ...) the workload needs")
        }
        if !functionsNamed.isEmpty && lambdaInvokes == 0 {
            warnings.append("the trail names Lambda functions (\(names(functionsNamed))) but holds no Invoke: Lambda data events were probably off, so the policy lacks lambda:InvokeFunction if the workload needs it")
        }
        if !tablesNamed.isEmpty && dynamoDBItemCalls == 0 {
            warnings.append("the trail names DynamoDB tables (\(names(tablesNamed))) but holds no item calls: DynamoDB data events were probably off, so the policy lacks any item permissions (dynamodb:GetItem, dynamodb:PutItem, dynamodb:Query, ...) the workload needs")
        }
        return warnings
    }
}
