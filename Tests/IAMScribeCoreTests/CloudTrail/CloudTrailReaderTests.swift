import Foundation
import Testing
import TestSupport
@testable import IAMScribeCore

/// The fixture trail (Scripts/cloudtrail-corpus fixtures): the role `service/app-role` of account
/// 111122223333 on 2024-05-01 (gzip files in three regions) and 2024-05-02 (a plain file),
/// among other principals, a service event, a console sign-in and action, a call a service made
/// as itself, and two API call names with no operation.
@Suite("CloudTrail: reading trails, filters, mapping, coverage")
struct CloudTrailReaderTests {
    static let account = "111122223333"
    static let role = "arn:aws:iam::111122223333:role/service/app-role"
    var trail: String { Fixtures.path("cloudtrail") + "/AWSLogs" }

    func read(_ paths: [String]? = nil, _ filter: CloudTrailFilter = CloudTrailFilter(), threads: Int = 0) throws -> CloudTrailReader.Result {
        try CloudTrailReader.read(paths: paths ?? [trail], options: .init(filter: filter, threads: threads))
    }

    func names(_ calls: [ObservedCall]) -> Set<String> {
        Set(calls.map { "\($0.service):\($0.operation)" })
    }

    func roleFilter(_ extra: (inout CloudTrailFilter) throws -> Void = { _ in }) throws -> CloudTrailFilter {
        var filter = CloudTrailFilter(principals: [try .init(Self.role)])
        try extra(&filter)
        return filter
    }

    @Test("The delivery layout is read recursively: gzip and plain files, the digest folder left out")
    func deliveryLayout() throws {
        let files = try CloudTrailReader.files(inFolder: trail)
        #expect(files.count == 4)
        #expect(files.filter { $0.hasSuffix(".json.gz") }.count == 3)
        #expect(!files.contains { $0.contains("CloudTrail-Digest") })
        let result = try read()
        #expect(result.diagnostics.isEmpty)
        #expect(result.statistics.files == 4)
        #expect(result.statistics.records == 37)
        #expect(result.statistics.eventTypes == ["AwsApiCall": 34, "AwsServiceEvent": 1, "AwsConsoleSignIn": 1, "AwsConsoleAction": 1])
        #expect(result.statistics.earliest == CloudTrailRecord.time("2024-05-01T09:00:01Z"))
        #expect(result.statistics.latest == CloudTrailRecord.time("2024-05-02T09:04:00Z"))
    }

    @Test("Several threads and one give the same calls and counts")
    func threadsDoNotMatter() throws {
        let one = try read(threads: 1)
        let four = try read(threads: 4)
        #expect(one.calls == four.calls)
        #expect(one.statistics == four.statistics)
    }

    @Test("What is not a call of the workload is left out and counted, never guessed")
    func leftOut() throws {
        let result = try read()
        let left = result.statistics.leftOut
        #expect(left[.serviceEvent] == 1)
        #expect(left[.consoleSignIn] == 1)
        #expect(left[.consoleAction] == 1)
        #expect(left[.serviceIdentity] == 1)
        #expect(left[.notAnOperation] == 2)
        #expect(result.statistics.notOperations.keys.sorted() == [
            "cloudshell.amazonaws.com CreateSession", "s3.amazonaws.com GetStorageLensDashboardDataInternal"])
        #expect(!names(result.calls).contains("kms:RotateKey"))
        #expect(!names(result.calls).contains("s3:GetBucketAcl"))
        // Without --principal, every principal's calls are in, and the report says how many.
        #expect(result.statistics.principals.count == 3)
        #expect(names(result.calls).contains("s3:ListBuckets"))
        #expect(names(result.calls).contains("ec2:DescribeInstances"))
    }

    @Test("--principal: a role matches its sessions (with or without its path), a session ARN one session, a user, an account")
    func principal() throws {
        let byRole = try read(nil, roleFilter())
        #expect(byRole.statistics.leftOut[.otherPrincipal] == 4)
        #expect(byRole.statistics.principals.keys.sorted() == [Self.role])
        #expect(!names(byRole.calls).contains("s3:ListBuckets"))
        let withoutPath = try read(nil, CloudTrailFilter(principals: [try .init("arn:aws:iam::111122223333:role/APP-ROLE")]))
        #expect(withoutPath.calls == byRole.calls)
        let assumed = try read(nil, CloudTrailFilter(principals: [try .init("arn:aws:sts::111122223333:assumed-role/app-role")]))
        #expect(assumed.calls == byRole.calls)
        let session = try read(nil, CloudTrailFilter(principals: [try .init("arn:aws:sts::111122223333:assumed-role/other-role/ci-run-42")]))
        #expect(names(session.calls) == ["s3:ListBuckets"])
        let user = try read(nil, CloudTrailFilter(principals: [try .init("arn:aws:iam::111122223333:user/alice")]))
        #expect(names(user.calls) == ["ec2:DescribeInstances"])
        let wrongAccount = try read(nil, CloudTrailFilter(principals: [try .init("arn:aws:iam::999999999999:role/app-role")]))
        #expect(wrongAccount.calls.isEmpty)
        let account = try read(nil, CloudTrailFilter(principals: [try .init(Self.account)]))
        #expect(account.calls.count == (try read()).calls.count)
        #expect(throws: IAMScribeError.self) { try CloudTrailFilter.Principal("arn:aws:s3:::bucket") }
        #expect(throws: IAMScribeError.self) { try CloudTrailFilter.Principal("12345") }
    }

    @Test("--since and --until: the second day alone, the first alone")
    func time() throws {
        let secondDay = try read(nil, try roleFilter { $0.since = try CloudTrailFilter.time("2024-05-02") })
        #expect(secondDay.calls.allSatisfy { $0.time >= (CloudTrailRecord.time("2024-05-02T00:00:00Z") ?? .distantFuture) })
        #expect(secondDay.statistics.calls == 13)
        let firstDay = try read(nil, try roleFilter { $0.until = try CloudTrailFilter.time("2024-05-02") })
        #expect(firstDay.statistics.calls == 16)
        #expect(firstDay.statistics.leftOut[CloudTrailStatistics.LeftOut.outsideTime] == 13)
        #expect(try CloudTrailFilter.time("2d", now: Date(timeIntervalSince1970: 200_000)) == Date(timeIntervalSince1970: 200_000 - 172_800))
        #expect(throws: IAMScribeError.self) { try CloudTrailFilter.time("yesterday") }
    }

    @Test("--region keeps global services, logged in us-east-1, and leaves other regions out")
    func region() throws {
        let result = try read(nil, try roleFilter { $0.regions = ["eu-west-1"] })
        let found = names(result.calls)
        #expect(found.contains("iam:GetRole"))
        #expect(found.contains("sts:GetCallerIdentity"))
        #expect(!found.contains("ssm:GetParameter"))
        #expect(result.statistics.leftOut[.otherRegion] == 1)
        #expect(result.statistics.globalCallsKept == 2)
    }

    @Test("--event-source takes a prefix or a whole source name")
    func eventSource() throws {
        let short = try read(nil, try roleFilter { $0 = CloudTrailFilter(principals: $0.principals, eventSources: ["kms"]) })
        let long = try read(nil, try roleFilter { $0 = CloudTrailFilter(principals: $0.principals, eventSources: ["kms.amazonaws.com"]) })
        #expect(names(short.calls) == ["kms:GenerateDataKey", "kms:Decrypt"])
        #expect(short.calls == long.calls)
    }

    @Test("Mapping exceptions: monitoring is CloudWatch, Lambda's versioned names, S3 names that are not operations, S3 data events")
    func mapping() throws {
        let result = try read(nil, roleFilter())
        let found = names(result.calls)
        #expect(found.contains("cloudwatch:PutMetricData"))
        #expect(found.contains("lambda:GetFunction"))
        #expect(found.contains("s3:GetPublicAccessBlock"))
        #expect(found.contains("s3:GetObject"))
        #expect(result.statistics.dataEvents == ["s3": 6, "dynamodb": 2, "lambda": 2])
        let names = CloudTrailNames(table: .bundled)
        for (source, event, expected) in [
            ("monitoring.amazonaws.com", "GetMetricData", "cloudwatch:GetMetricData"),
            ("elasticloadbalancing.amazonaws.com", "DescribeTargetGroups", "elbv2:DescribeTargetGroups"),
            ("elasticloadbalancing.amazonaws.com", "DescribeLoadBalancerPolicies", "elb:DescribeLoadBalancerPolicies"),
            ("ses.amazonaws.com", "SendEmail", "ses:SendEmail"),
            ("ses.amazonaws.com", "PutEmailIdentityDkimAttributes", "sesv2:PutEmailIdentityDkimAttributes"),
            ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", "lambda:UpdateFunctionCode"),
            ("lambda.amazonaws.com", "ListFunctions20150331", "lambda:ListFunctions"),
            ("cloudfront.amazonaws.com", "GetDistribution2020_05_31", "cloudfront:GetDistribution"),
            ("s3.amazonaws.com", "PutBucketPublicAccessBlock", "s3:PutPublicAccessBlock"),
            ("s3.amazonaws.com", "PutBucketReplication", "s3:PutBucketReplication"),
            ("ecr.amazonaws.com", "GetAuthorizationToken", "ecr:GetAuthorizationToken"),
            ("iam.amazonaws.com", "GetRole", "iam:GetRole"),
        ] {
            guard case .operation(let service, let operation) = names.resolve(eventSource: source, eventName: event) else {
                Issue.record("\(source) \(event) did not resolve")
                continue
            }
            #expect("\(service.module):\(operation.name)" == expected)
        }
        guard case .unknownOperation = names.resolve(eventSource: "s3.amazonaws.com", eventName: "GetBucketWhatever") else {
            Issue.record("an unknown S3 name resolved")
            return
        }
        guard case .unknownSource = names.resolve(eventSource: "cloudshell.amazonaws.com", eventName: "CreateSession") else {
            Issue.record("cloudshell resolved")
            return
        }
        // S3's PutBucketReplication needs s3:PutReplicationConfiguration (the action table's
        // mapping, where trailscraper's heuristic emits the wrong action).
        let classifier = CallClassifier()
        guard case .mapped(let permissions) = classifier.classify(service: "s3", operation: "PutBucketReplication", parameters: [:]) else {
            Issue.record("PutBucketReplication is not mapped")
            return
        }
        #expect(permissions.actions.contains("s3:PutReplicationConfiguration"))
    }

    @Test("Each mapping exception, checked against the botocore models' names and CloudTrail's documented event names")
    func mappingExceptions() throws {
        let names = CloudTrailNames(table: .bundled)
        func resolved(_ source: String, _ event: String) -> String? {
            guard case .operation(let service, let operation) = names.resolve(eventSource: source, eventName: event) else { return nil }
            return "\(service.module):\(operation.name)"
        }
        // monitoring: CloudWatch's endpoint prefix; CloudWatch Logs logs under logs.
        #expect(resolved("monitoring.amazonaws.com", "PutMetricAlarm") == "cloudwatch:PutMetricAlarm")
        #expect(resolved("logs.amazonaws.com", "PutLogEvents") == "logs:PutLogEvents")
        // s3: bucket and object calls, and S3 Control's account-level calls under the same source.
        #expect(resolved("s3.amazonaws.com", "GetAccessPoint") == "s3control:GetAccessPoint")
        #expect(resolved("s3.amazonaws.com", "CreateBucket") == "s3:CreateBucket")
        // S3 event names that are not operations: a bucket's public access block (S3) ...
        #expect(resolved("s3.amazonaws.com", "GetBucketPublicAccessBlock") == "s3:GetPublicAccessBlock")
        #expect(resolved("s3.amazonaws.com", "DeleteBucketPublicAccessBlock") == "s3:DeletePublicAccessBlock")
        #expect(resolved("s3.amazonaws.com", "GetBucketObjectLockConfiguration") == "s3:GetObjectLockConfiguration")
        #expect(resolved("s3.amazonaws.com", "PutBucketObjectLockConfiguration") == "s3:PutObjectLockConfiguration")
        // ... and the account's (S3 Control: s3:GetAccountPublicAccessBlock, not the bucket's action).
        for (event, operation, action) in [("GetAccountPublicAccessBlock", "GetPublicAccessBlock", "s3:GetAccountPublicAccessBlock"),
                                           ("PutAccountPublicAccessBlock", "PutPublicAccessBlock", "s3:PutAccountPublicAccessBlock"),
                                           ("DeleteAccountPublicAccessBlock", "DeletePublicAccessBlock", "s3:PutAccountPublicAccessBlock")] {
            #expect(resolved("s3.amazonaws.com", event) == "s3control:\(operation)")
            guard case .mapped(let permissions) = CallClassifier().classify(service: "s3control", operation: operation, parameters: [:]) else {
                Issue.record("s3control \(operation) is not mapped")
                continue
            }
            #expect(permissions.actions == [action])
        }
        // The deprecated lifecycle and notification names S3 logs are operations of their own.
        #expect(resolved("s3.amazonaws.com", "PutBucketLifecycle") == "s3:PutBucketLifecycle")
        #expect(resolved("s3.amazonaws.com", "GetBucketNotification") == "s3:GetBucketNotification")
        // sso: Identity Center's administration API and the access portal; Identity Store has a source of its own.
        #expect(resolved("sso.amazonaws.com", "CreatePermissionSet") == "sso-admin:CreatePermissionSet")
        #expect(resolved("sso.amazonaws.com", "GetRoleCredentials") == "sso:GetRoleCredentials")
        #expect(resolved("sso.amazonaws.com", "ListUsers") == nil)
        #expect(resolved("identitystore.amazonaws.com", "ListUsers") == "identitystore:ListUsers")
        #expect(resolved("sso-oauth.amazonaws.com", "CreateToken") == "sso-oidc:CreateToken")
        // dynamodb: DynamoDB Streams (endpoint streams.dynamodb) logs under DynamoDB's source.
        #expect(resolved("dynamodb.amazonaws.com", "GetRecords") == "dynamodbstreams:GetRecords")
        #expect(resolved("dynamodb.amazonaws.com", "DescribeStream") == "dynamodbstreams:DescribeStream")
        #expect(resolved("dynamodb.amazonaws.com", "GetItem") == "dynamodb:GetItem")
        // kinesisanalytics: v2 first (a v2-only name), and a name both have.
        #expect(resolved("kinesisanalytics.amazonaws.com", "CreateApplicationPresignedUrl") == "kinesisanalyticsv2:CreateApplicationPresignedUrl")
        #expect(resolved("kinesisanalytics.amazonaws.com", "DescribeApplication") == "kinesisanalyticsv2:DescribeApplication")
        // es: the OpenSearch API and the older Elasticsearch API under one source, both es: actions.
        #expect(resolved("es.amazonaws.com", "CreateDomain") == "opensearch:CreateDomain")
        #expect(resolved("es.amazonaws.com", "CreateElasticsearchDomain") == "es:CreateElasticsearchDomain")
        // CloudFront: the bare name (newer records, version in apiVersion) and dated suffixes.
        #expect(resolved("cloudfront.amazonaws.com", "UpdateDistribution") == "cloudfront:UpdateDistribution")
        #expect(resolved("cloudfront.amazonaws.com", "UpdateDistribution2020_05_31") == "cloudfront:UpdateDistribution")
        #expect(resolved("cloudfront.amazonaws.com", "CreateInvalidation2019_03_26") == "cloudfront:CreateInvalidation")
        #expect(resolved("cloudfront.amazonaws.com", "GetDistributionConfig2014_05_31") == "cloudfront:GetDistributionConfig")
        // Lambda: dated names with and without a version, and Invoke (a data event) bare.
        #expect(resolved("lambda.amazonaws.com", "CreateFunction20150331") == "lambda:CreateFunction")
        #expect(resolved("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2") == "lambda:UpdateFunctionConfiguration")
        #expect(resolved("lambda.amazonaws.com", "PublishLayerVersion20181031") == "lambda:PublishLayerVersion")
        #expect(resolved("lambda.amazonaws.com", "Invoke") == "lambda:Invoke")
        // A suffix is taken off only when the whole name is no operation: S3's ListObjectsV2 stays.
        #expect(resolved("s3.amazonaws.com", "ListObjectsV2") == "s3:ListObjectsV2")
        #expect(CloudTrailNames.withoutVersionSuffix("ListObjectsV2") == nil)
        // S3 Express One Zone logs under its own source, whose actions are s3express:, not s3:: never guessed.
        #expect(names.services(for: "s3express.amazonaws.com").isEmpty)
    }

    @Test("Only the request parameters a policy can depend on are kept: the same policy, fewer distinct calls")
    func parameterReduction() throws {
        let names = CloudTrailParameterNames.bundled
        for kept in ["bucketname", "key", "tablename", "queueurl", "functionname", "secretid", "name", "keyid", "withdecryption", "rolearn"] {
            #expect(names.names.contains(kept), "\(kept)")
        }
        for dropped in ["range", "limit", "receiverequestattemptid", "encryptioncontext", "exclusivestartkey", "consistentread", "maxnumberofmessages"] {
            #expect(!names.names.contains(dropped), "\(dropped)")
        }
        #expect(names.keeps("bucketName") && names.keeps("Bucket_Name") && !names.keeps("x-amz-date"))
        // Every member the resolver, the triggers and the fills can read is kept: the names (a
        // quarter of the candidates) and the forms a member is looked up under cover them all.
        let table = ActionTable.bundled
        var checked = 0
        for service in table.services {
            for operation in table.operations(of: service) {
                for action in operation.actions + operation.conditionalActions.map(\.action) {
                    let parts = action.split(separator: ":", maxSplits: 1).map(String.init)
                    guard parts.count == 2, let iam = table.iamService(prefix: parts[0]), let known = iam.action(named: parts[1]) else { continue }
                    for type in known.resourceTypes {
                        for variable in CloudTrailParameterNames.variables(in: iam.arnTemplates[type.name] ?? "")
                        where !["Partition", "Region", "Account"].contains(variable) {
                            for candidate in RequestResolver.Parameters.candidates(for: variable) where !names.keeps(candidate) {
                                Issue.record("\(action) \(type.name): \(variable)'s candidate \(candidate) is not kept")
                            }
                            checked += 1
                        }
                    }
                }
                for member in operation.resourceFills.flatMap(\.variables).compactMap(\.member) + operation.conditionalActions.flatMap(\.members)
                where !names.keeps(String(OperationInfo.ConditionalAction.member(of: member))) {
                    Issue.record("\(service.module) \(operation.name): \(member) is not kept")
                }
            }
        }
        #expect(checked > 10_000)
        #expect(names.names.count < 2_000, "\(names.names.count) names")
        let varied = Fixtures.path("cloudtrail-varied") + "/AWSLogs"
        for paths in [[trail], [varied], [trail, varied]] {
            var every = CloudTrailReader.Options()
            every.keepsEveryParameter = true
            let all = try CloudTrailReader.read(paths: paths, options: every)
            let reduced = try CloudTrailReader.read(paths: paths)
            #expect(reduced.statistics.calls == all.statistics.calls)
            #expect(reduced.calls.count <= all.calls.count)
            var fromAll = PolicyBuilder(), fromReduced = PolicyBuilder()
            fromAll.add(contentsOf: all.calls)
            fromReduced.add(contentsOf: reduced.calls)
            #expect(fromReduced.document == fromAll.document, "\(paths)")
            #expect(!fromReduced.document.statements.isEmpty)
        }
        // 40 events: 24 distinct calls with every parameter, 6 with those that name resources.
        let all = try CloudTrailReader.read(paths: [varied], options: { var o = CloudTrailReader.Options(); o.keepsEveryParameter = true; return o }())
        let reduced = try CloudTrailReader.read(paths: [varied])
        #expect(reduced.statistics.records == 40)
        #expect(all.calls.count == 24)
        #expect(reduced.calls.count == 6)
    }

    @Test("A trail appended to a session journal: created 0600, calls already there (at any time) not written again, account and ARNs kept")
    func appendToJournal() throws {
        let folder = try TemporaryFolder()
        let journal = folder.path + "/session.jsonl"
        let calls = try read(nil, roleFilter()).calls
        let first = try SessionJournal.append(calls, toJournalAt: journal)
        #expect(first.previous.isEmpty && first.added == calls.count && first.present == 0)
        var info = stat()
        #expect(stat(journal, &info) == 0 && info.st_mode & 0o777 == 0o600)
        var later = calls
        for index in later.indices { later[index].time += 3600 }
        let second = try SessionJournal.append(later, toJournalAt: journal)
        #expect(second.previous == calls)
        #expect(second.added == 0 && second.present == calls.count)
        let read = SessionJournal.read(try [UInt8](Data(contentsOf: URL(fileURLWithPath: journal))))
        #expect(read.diagnostics.isEmpty)
        #expect(read.calls == calls)
        #expect(read.calls.allSatisfy { $0.account == Self.account && $0.source == .cloudtrail })
        #expect(read.calls.contains { $0.resourceARNs?.contains("arn:aws:s3:::app-data-bucket") == true })
        let notJournal = folder.path + "/policy.json"
        try Data("{\"Version\":\"2012-10-17\"}".utf8).write(to: URL(fileURLWithPath: notJournal))
        #expect(throws: IAMScribeError.self) { try SessionJournal.append(calls, toJournalAt: notJournal) }
    }

    @Test("invokedBy: a call S3 made with the role's credentials is kept and named")
    func invokedBy() throws {
        let result = try read(nil, roleFilter())
        #expect(names(result.calls).contains("kms:Decrypt"))
        #expect(result.statistics.invokedBy == ["s3.amazonaws.com → kms:Decrypt": 2, "s3.amazonaws.com → kms:GenerateDataKey": 2])
    }

    @Test("errorCode marks a failure: --fails-only keeps the denied calls")
    func failures() throws {
        let result = try read(nil, roleFilter())
        let failed = result.calls.filter(\.failed)
        #expect(Set(failed.map { "\($0.operation) \($0.errorCode ?? "")" }) == ["DeleteObject AccessDenied", "GetSecretValue AccessDeniedException"])
        #expect(result.statistics.failedCalls == 4)
        var builder = PolicyBuilder(options: .init(failsOnly: true))
        builder.add(contentsOf: result.calls)
        let actions = builder.document.statements.flatMap(\.actions)
        #expect(Set(actions) == ["s3:DeleteObject", "secretsmanager:GetSecretValue"])
    }

    @Test("Calls carry the request parameters, resources[].ARN and the account; RequestResolver resolves them")
    func resources() throws {
        let result = try read(nil, roleFilter())
        guard let get = result.calls.first(where: { $0.operation == "GetObject" }) else {
            Issue.record("no GetObject")
            return
        }
        #expect(get.source == .cloudtrail)
        #expect(get.account == Self.account)
        #expect(get.parameters?["bucketName"] == "app-data-bucket")
        #expect(get.resourceARNs == ["arn:aws:s3:::app-data-bucket", "arn:aws:s3:::app-data-bucket/reports/2024/05/01.csv"])
        #expect(get.accessKeyID == nil)
        var resolved: [String: [String]] = [:]
        for call in result.calls {
            let resolver = RequestResolver(account: call.account)
            guard case .requests(let requests, _) = resolver.resolve(call) else { continue }
            for request in requests { resolved[request.action, default: []] += request.resources.map(\.description) }
        }
        #expect(resolved["s3:GetObject"] == ["arn:aws:s3:::app-data-bucket/reports/2024/05/01.csv"])
        #expect(resolved["dynamodb:GetItem"] == ["arn:aws:dynamodb:eu-west-1:111122223333:table/orders"])
        #expect(resolved["sqs:GetQueueAttributes"] == ["arn:aws:sqs:eu-west-1:111122223333:orders-queue"])
        // GetRole names the role without its path: any path, never a wrong one.
        #expect(resolved["iam:GetRole"] == ["arn:aws:iam::111122223333:role/${Path}worker"])
        // resources[].ARN where CloudTrail lists them: the KMS key S3 used on the caller's behalf.
        #expect(resolved["kms:Decrypt"] == ["arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"])
        #expect(resolved["ssm:GetParameter"] == ["arn:aws:ssm:us-west-2:111122223333:parameter/app/feature-flags"])
        #expect(resolved["lambda:GetFunction"] == ["arn:aws:lambda:eu-west-1:111122223333:function:resize"])
    }

    @Test("A Lake export (JSON lines) and an event history array give the calls the log files give for the same day")
    func exports() throws {
        let folder = Fixtures.path("cloudtrail")
        let files = try read(nil, try roleFilter { $0.until = try CloudTrailFilter.time("2024-05-02") })
        let lines = try read([folder + "/lake-export.jsonl"])
        let array = try read([folder + "/event-history.json"])
        #expect(lines.diagnostics.isEmpty && array.diagnostics.isEmpty)
        #expect(lines.calls == files.calls)
        #expect(array.calls == files.calls)
        #expect(lines.statistics.records == 16)
    }

    @Test("Coverage: S3, Lambda and DynamoDB names in management events without their data events warn")
    func coverage() throws {
        let full = try read(nil, roleFilter())
        #expect(full.statistics.coverageWarnings.isEmpty)
        // The same trail without its data events, as a trail with data events off holds it.
        let folder = try TemporaryFolder()
        var lines = ""
        for line in try String(contentsOfFile: Fixtures.path("cloudtrail") + "/lake-export.jsonl", encoding: .utf8).split(separator: "\n")
        where !line.contains("\"eventCategory\":\"Data\"") {
            lines += line + "\n"
        }
        try lines.write(toFile: folder.path + "/management.jsonl", atomically: true, encoding: .utf8)
        let management = try read([folder.path + "/management.jsonl"])
        let warnings = management.statistics.coverageWarnings
        #expect(warnings.count == 3)
        #expect(warnings.contains { $0.contains("S3 buckets (app-data-bucket)") && $0.contains("s3:GetObject") })
        #expect(warnings.contains { $0.contains("Lambda functions") && $0.contains("lambda:InvokeFunction") })
        #expect(warnings.contains { $0.contains("DynamoDB tables (orders)") })
    }

    @Test("A corrupt gzip member and a bad record are errors naming file and record; the rest still counts")
    func damage() throws {
        let folder = try TemporaryFolder()
        let gzipped = try CloudTrailReader.files(inFolder: trail).filter { $0.contains("eu-west-1") && $0.hasSuffix(".gz") }
        guard let source = gzipped.first else {
            Issue.record("no gzip fixture")
            return
        }
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: source)))
        for index in stride(from: bytes.count / 2, to: bytes.count / 2 + 64, by: 1) { bytes[index] ^= 0x5A }
        let corrupt = folder.path + "/corrupt.json.gz"
        try Data(bytes).write(to: URL(fileURLWithPath: corrupt))
        let truncated = folder.path + "/truncated.json.gz"
        try Data(try [UInt8](Data(contentsOf: URL(fileURLWithPath: source))).prefix(bytes.count - 100)).write(to: URL(fileURLWithPath: truncated))
        let badRecord = folder.path + "/bad-record.json"
        try #"{"Records":[{"eventVersion":"1.09","eventTime":"2024-05-01T00:00:00Z","eventSource":"sqs.amazonaws.com","eventName":"ListQueues","awsRegion":"eu-west-1","eventType":"AwsApiCall","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333"}},{"eventVersion":"1.09","eventName":tru},{"eventVersion":"1.09","eventTime":"2024-05-01T00:00:01Z","eventSource":"sns.amazonaws.com","eventName":"ListTopics","awsRegion":"eu-west-1","eventType":"AwsApiCall"}]}"#
            .write(toFile: badRecord, atomically: true, encoding: .utf8)
        let plain = try CloudTrailReader.files(inFolder: trail).filter { $0.hasSuffix(".json") }
        let result = try read([corrupt, truncated, badRecord] + plain)
        let messages = result.diagnostics.map(\.description)
        #expect(messages.contains { $0.contains("corrupt.json.gz") && $0.contains("corrupt gzip data") })
        #expect(messages.contains { $0.contains("truncated.json.gz") && $0.contains("truncated") })
        #expect(messages.contains { $0.contains("bad-record.json") && $0.contains("record 2") })
        #expect(result.diagnostics.allSatisfy { $0.severity == .error })
        #expect(names(result.calls).isSuperset(of: ["sqs:ListQueues", "sns:ListTopics", "s3:GetObject"]))
        // The plain file's calls all count, besides the damaged files'.
        #expect(result.statistics.files == 4)
        // One file alone is inflated on one thread and read on another: the same calls and errors
        // as on one thread.
        for file in [corrupt, truncated, badRecord] + gzipped {
            let one = try read([file], threads: 1)
            let two = try read([file], threads: 2)
            #expect(one.calls == two.calls)
            #expect(one.diagnostics == two.diagnostics)
            #expect(one.statistics == two.statistics)
        }
        #expect(try read([corrupt], threads: 2).diagnostics.contains { $0.description.contains("corrupt gzip data") })
    }

    @Test("The splitter gives the same records fed one byte at a time as fed whole, in every layout")
    func byteByByte() throws {
        let folder = Fixtures.path("cloudtrail")
        for file in [folder + "/lake-export.jsonl", folder + "/event-history.json"]
            + (try CloudTrailReader.files(inFolder: trail).filter { $0.hasSuffix(".json") }) {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
            var whole = CloudTrailRecordSplitter()
            var wholeRecords: [[UInt8]] = []
            try bytes.withUnsafeBytes { buffer in try whole.feed(buffer) { record, _ in wholeRecords.append(Array(record ?? .init(start: nil, count: 0))) } }
            try whole.finish()
            var single = CloudTrailRecordSplitter()
            var singleRecords: [[UInt8]] = []
            for byte in bytes {
                try [byte].withUnsafeBytes { buffer in try single.feed(buffer) { record, _ in singleRecords.append(Array(record ?? .init(start: nil, count: 0))) } }
            }
            try single.finish()
            #expect(wholeRecords.count > 10)
            #expect(wholeRecords == singleRecords)
        }
    }

    @Test("Structure errors: text between records, a truncated file, not CloudTrail at all")
    func structure() throws {
        func split(_ text: String) throws -> Int {
            var splitter = CloudTrailRecordSplitter()
            var count = 0
            try Array(text.utf8).withUnsafeBytes { try splitter.feed($0) { _, _ in count += 1 } }
            try splitter.finish()
            return count
        }
        #expect(try split(#"{"Records":[{"a":"}"},{"b":[1,{"c":"\""}]}]}"#) == 2)
        #expect(try split("{\"eventVersion\":\"1\"}\n{\"eventVersion\":\"2\"}\n") == 2)
        #expect(try split("[]") == 0)
        // Escapes split at every byte: backslash runs before quotes, odd and even.
        let escapes = #"{"Records":[{"a":"x\\","b":"\"}{\\\"","c":"\\\\"},{"d":"]}\\\\\"["}]}"#
        var single = CloudTrailRecordSplitter()
        var pieces: [[UInt8]] = []
        for byte in Array(escapes.utf8) {
            try [byte].withUnsafeBytes { buffer in try single.feed(buffer) { record, _ in pieces.append(Array(record ?? .init(start: nil, count: 0))) } }
        }
        try single.finish()
        #expect(pieces.map { String(decoding: $0, as: UTF8.self) } == [#"{"a":"x\\","b":"\"}{\\\"","c":"\\\\"}"#, #"{"d":"]}\\\\\"["}"#])
        #expect(try split(escapes) == 2)
        let record = try Array(#"{"eventName":"a\\\"b","eventSource":"x\\"}"#.utf8).withUnsafeBytes { try CloudTrailRecord($0) }
        #expect(record.eventName == #"a\"b"#)
        #expect(record.eventSource == #"x\"#)
        // Documents one after another (`cat a.json b.json`), and very many of them in one chunk.
        #expect(try split(#"{"Records":[{"a":1}]}{"Records":[{"b":2},{"c":3}]} [{"d":4}]"#) == 4)
        #expect(try split(String(repeating: "[{}]", count: 200_000)) == 200_000)
        #expect(throws: CloudTrailRecordSplitter.Failure.self) { try split(#"{"Records":[{"a":1}"#) }
        #expect(throws: CloudTrailRecordSplitter.Failure.self) { try split("{\"a\":1} garbage") }
        #expect(throws: CloudTrailRecordSplitter.Failure.self) { try split("hello") }
        #expect(throws: CloudTrailRecordSplitter.Failure.self) { try split(#"{"Records":[1,2]}"#) }
    }

    @Test("Records are read in place: escapes, nulls, and fields in any order")
    func recordFields() throws {
        let text = #"{"requestParameters":{"bucketName":"b\u00e9\"q","key":"a\/b","n":3,"o":{"x":1}},"eventTime":"2024-05-01T12:34:56.5+01:00","userIdentity":{"type":"AssumedRole","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/r"}}},"resources":null,"errorCode":null}"#
        let record = try Array(text.utf8).withUnsafeBytes { try CloudTrailRecord($0) }
        #expect(record.parameters == ["bucketName": "bé\"q", "key": "a/b", "n": "3", "o": ""])
        #expect(record.eventTime == CloudTrailRecord.time("2024-05-01T11:34:56.5Z"))
        #expect(record.sessionIssuerARN == "arn:aws:iam::1:role/r")
        #expect(record.errorCode == nil)
        #expect(CloudTrailRecord.time("2024-02-30T00:00:00") != nil)
        #expect(CloudTrailRecord.time("2024-13-01T00:00:00Z") == nil)
        #expect(CloudTrailRecord.time("2024-05-01T00:00:00Zjunk") == nil)
        #expect(CloudTrailRecord.time("1970-01-02T00:00:00Z") == Date(timeIntervalSince1970: 86400))
    }

    @Test("Standard input is told by content like a file: gzip CloudTrail from a descriptor")
    func descriptor() throws {
        let source = try CloudTrailReader.files(inFolder: trail).filter { $0.hasSuffix(".gz") }
        var pipe: [Int32] = [0, 0]
        #expect(pipe.withUnsafeMutableBufferPointer { Foundation.pipe($0.baseAddress) } == 0)
        let (readEnd, writeEnd) = (pipe[0], pipe[1])
        let bytes = try source.flatMap { try [UInt8](Data(contentsOf: URL(fileURLWithPath: $0))) }
        let writer = Thread {
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count, let base = buffer.baseAddress {
                    let written = write(writeEnd, base + offset, min(4096, buffer.count - offset))
                    if written <= 0 { break }
                    offset += written
                }
            }
            close(writeEnd)
        }
        writer.start()
        let head = InputFile.head(descriptor: readEnd, count: 1 << 10)
        #expect(CloudTrailReader.looksLikeCloudTrail(head))
        // Concatenated gzip files are gzip members one after another.
        let result = CloudTrailReader.read(descriptor: readEnd, head: head, name: "-")
        close(readEnd)
        let direct = try read(source)
        #expect(result.diagnostics.isEmpty)
        #expect(result.calls == direct.calls)
        #expect(result.statistics.records == direct.statistics.records)
    }

    @Test("Telling CloudTrail from CSM lines and journals by content")
    func detection() throws {
        #expect(CloudTrailReader.looksLikeCloudTrail(Array(#"{"Records":[]}"#.utf8)))
        #expect(CloudTrailReader.looksLikeCloudTrail(Array("{\"eventVersion\":\"1.09\",\"eventSource\":\"s3.amazonaws.com\"}\n".utf8)))
        #expect(!CloudTrailReader.looksLikeCloudTrail(try [UInt8](Data(contentsOf: Fixtures.url("awscli-moto.csm.jsonl"))).prefix(4096).map { $0 }))
        #expect(!CloudTrailReader.looksLikeCloudTrail(Array("hello".utf8)))
    }

    @Test("Journal lines keep the account and resource ARNs")
    func journal() throws {
        let call = ObservedCall(source: .cloudtrail, time: Date(timeIntervalSince1970: 1_714_550_400), service: "s3", operation: "GetObject",
                                region: "eu-west-1", parameters: ["bucketName": "b"], account: "111122223333",
                                resourceARNs: ["arn:aws:s3:::b/k", "arn:aws:s3:::b"])
        let line = SessionJournal.line(for: call)
        let parsed = Array(line.utf8.dropLast()).withUnsafeBytes { JournalLineParser.call(from: $0) }
        #expect((try? parsed.get()) == call)
        let decoded = try JSONDecoder().decode(ObservedCall.self, from: try JSONEncoder().encode(call))
        #expect(decoded == call)
    }
}

/// A temporary folder, removed when released.
final class TemporaryFolder {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("cloudtrail-\(UUID())").path
    init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}
