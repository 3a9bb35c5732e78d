import Foundation
import Testing
@testable import IAMScribeCore

@Suite("Policy builder: resources")
struct ResourcePolicyTests {
    static let time = Date(timeIntervalSince1970: 1_800_000_000)

    func call(_ service: String, _ operation: String, _ parameters: [String: String]?, region: String = "us-east-1",
              key: String? = nil) -> ObservedCall {
        ObservedCall(source: parameters == nil ? .csm : .pcap, time: Self.time, service: service, operation: operation,
                     region: region, httpStatus: 200, accessKeyID: key.map(AccessKeyID.init), parameters: parameters)
    }

    func statements(_ builder: PolicyBuilder) -> [String] {
        builder.document.statements.map { "\($0.actions.joined(separator: ",")) on \($0.resources.joined(separator: " "))" }
    }

    @Test("One statement per distinct set of resources, actions sorted inside; list actions on *")
    func grouping() {
        var builder = PolicyBuilder(options: .init(resources: .init(account: "123456789012")))
        builder.add(call("s3", "PutObject", ["Bucket": "photos", "Key": "2026/cat.jpg"]))
        builder.add(call("s3", "GetObject", ["Bucket": "photos", "Key": "2026/cat.jpg"]))
        builder.add(call("s3", "ListObjectsV2", ["Bucket": "photos"]))
        builder.add(call("s3", "ListBuckets", [:]))
        builder.add(call("dynamodb", "GetItem", ["TableName": "users"]))
        builder.add(call("dynamodb", "Query", ["TableName": "users", "IndexName": "byEmail"]))
        builder.add(call("sqs", "SendMessage", ["QueueUrl": "https://sqs.us-east-1.amazonaws.com/210987654321/jobs"]))
        #expect(statements(builder) == [
            "s3:ListAllMyBuckets on *",
            "dynamodb:GetItem on arn:aws:dynamodb:us-east-1:123456789012:table/users",
            "dynamodb:Query on arn:aws:dynamodb:us-east-1:123456789012:table/users/index/byEmail",
            "s3:ListBucket on arn:aws:s3:::photos",
            "s3:GetObject,s3:PutObject on arn:aws:s3:::photos/2026/cat.jpg",
            // The queue URL names its own account, which wins over the one given.
            "sqs:SendMessage on arn:aws:sqs:us-east-1:210987654321:jobs",
        ])
        #expect(builder.actionsOnAny.isEmpty)
    }

    @Test("A CSM call keeps its action on * and says why; --resource-placeholders writes the templates")
    func unknownParameters() throws {
        var builder = PolicyBuilder()
        builder.add(call("s3", "GetObject", ["Bucket": "photos", "Key": "a.jpg"]))
        builder.add(call("s3", "GetObject", nil))
        builder.add(call("s3", "PutObject", ["Bucket": "photos", "Key": "a.jpg"]))
        #expect(statements(builder) == ["s3:GetObject on *", "s3:PutObject on arn:aws:s3:::photos/a.jpg"])
        let onAny = builder.actionsOnAny
        #expect(onAny.map(\.action) == ["s3:GetObject"])
        #expect(onAny.first?.why == .parametersUnknown)

        var placeholders = PolicyBuilder(options: .init(resources: .init(placeholders: true)))
        placeholders.add(call("s3", "GetObject", nil))
        placeholders.add(call("sqs", "SendMessage", nil, region: "eu-west-1"))
        #expect(statements(placeholders) == [
            "s3:GetObject on arn:aws:s3:::${BucketName}/${ObjectName} arn:aws:s3:us-east-1:${Account}:accesspoint/${AccessPointName}/object/${ObjectName}",
            "sqs:SendMessage on arn:aws:sqs:eu-west-1:${Account}:${QueueName}",
        ])
    }

    @Test("--force-wildcard-resource keeps one statement on *")
    func wildcard() {
        var builder = PolicyBuilder(options: .init(resources: .init(mode: .wildcard)))
        builder.add(call("s3", "GetObject", ["Bucket": "photos", "Key": "a.jpg"]))
        builder.add(call("dynamodb", "GetItem", ["TableName": "users"]))
        #expect(statements(builder) == ["dynamodb:GetItem,s3:GetObject on *"])
        #expect(builder.actionsOnAny.isEmpty)
    }

    @Test("The account: given, else from the access key id, else * (never a guess)")
    func account() {
        let parameters = ["TableName": "users"]
        var given = PolicyBuilder(options: .init(resources: .init(account: "123456789012")))
        given.add(call("dynamodb", "GetItem", parameters, key: "ASIAY34FZKBOKMUTVV7A"))
        #expect(statements(given) == ["dynamodb:GetItem on arn:aws:dynamodb:us-east-1:123456789012:table/users"])
        #expect(given.derivedAccounts.isEmpty && !given.accountUnknown)

        var derived = PolicyBuilder()
        derived.add(call("dynamodb", "GetItem", parameters, key: "ASIAY34FZKBOKMUTVV7A"))
        #expect(statements(derived) == ["dynamodb:GetItem on arn:aws:dynamodb:us-east-1:609629065308:table/users"])
        #expect(derived.derivedAccounts == ["609629065308"])

        var unknown = PolicyBuilder()
        unknown.add(call("dynamodb", "GetItem", parameters, key: "AKIAIOSFODNN7EXAMPLE"))
        #expect(statements(unknown) == ["dynamodb:GetItem on arn:aws:dynamodb:us-east-1:*:table/users"])
        #expect(unknown.accountUnknown)
    }

    @Test("Partition from the region")
    func partitions() {
        var builder = PolicyBuilder(options: .init(resources: .init(account: "123456789012")))
        builder.add(call("dynamodb", "GetItem", ["TableName": "a"], region: "cn-north-1"))
        builder.add(call("dynamodb", "GetItem", ["TableName": "b"], region: "us-gov-west-1"))
        builder.add(call("dynamodb", "GetItem", ["TableName": "c"], region: "eu-west-1"))
        #expect(statements(builder) == [
            "dynamodb:GetItem on arn:aws-cn:dynamodb:cn-north-1:123456789012:table/a arn:aws-us-gov:dynamodb:us-gov-west-1:123456789012:table/b arn:aws:dynamodb:eu-west-1:123456789012:table/c",
        ])
    }

    @Test("More than the cutoff of one type collapse to the narrowest common patterns; other types stay exact")
    func cutoff() {
        var calls = (1...20).map { call("s3", "GetObject", ["Bucket": "logs", "Key": "2026/11/\(String(format: "%02d", $0)).gz"]) }
        calls.append(call("s3", "GetObject", ["Bucket": "photos", "Key": "cat.jpg"]))
        calls.append(call("s3", "ListObjectsV2", ["Bucket": "logs"]))
        var four = PolicyBuilder(options: .init(resources: .init(cutoff: 4)))
        for call in calls { four.add(call) }
        #expect(statements(four) == [
            "s3:ListBucket on arn:aws:s3:::logs",
            "s3:GetObject on arn:aws:s3:::logs/2026/11/0* arn:aws:s3:::logs/2026/11/1* arn:aws:s3:::logs/2026/11/20.gz arn:aws:s3:::photos/cat.jpg",
        ])
        // Three cannot keep those four apart: the month's prefix, and the other bucket's object exact.
        var three = PolicyBuilder(options: .init(resources: .init(cutoff: 3)))
        for call in calls { three.add(call) }
        #expect(statements(three) == [
            "s3:ListBucket on arn:aws:s3:::logs",
            "s3:GetObject on arn:aws:s3:::logs/2026/11/* arn:aws:s3:::photos/cat.jpg",
        ])
        var exact = PolicyBuilder(options: .init(resources: .init(cutoff: 30)))
        for day in 1...20 { exact.add(call("s3", "GetObject", ["Bucket": "logs", "Key": "\(day)"])) }
        #expect(exact.document.statements.first?.resources.count == 20)
    }

    @Test("collapse: at most the cutoff, each pattern the common prefix of its run, lone ones exact")
    func collapse() {
        let objects = (1...30).map { "arn:aws:s3:::b/logs/2026-11-\(String(format: "%02d", $0)).gz" }
        #expect(ResourceSet.collapse(objects, cutoff: 1) == ["arn:aws:s3:::b/logs/2026-11-*"])
        // Four natural runs (days 0x, 1x, 2x and the 30th): three cannot keep them apart.
        #expect(ResourceSet.collapse(objects, cutoff: 3) == ["arn:aws:s3:::b/logs/2026-11-*"])
        #expect(ResourceSet.collapse(objects, cutoff: 4) == [
            "arn:aws:s3:::b/logs/2026-11-0*", "arn:aws:s3:::b/logs/2026-11-1*", "arn:aws:s3:::b/logs/2026-11-2*",
            "arn:aws:s3:::b/logs/2026-11-30.gz",
        ])
        let two = ["arn:aws:s3:::a/x", "arn:aws:s3:::b/y", "arn:aws:s3:::b/z"]
        #expect(ResourceSet.collapse(two, cutoff: 2) == ["arn:aws:s3:::a/x", "arn:aws:s3:::b/*"])
        #expect(ResourceSet.collapse(two, cutoff: 3) == two)
        // Every resource stays covered, by a pattern no wider than a common prefix.
        for cutoff in 1...12 {
            let patterns = ResourceSet.collapse(objects + two, cutoff: cutoff)
            #expect(patterns.count <= cutoff)
            for resource in objects + two {
                #expect(patterns.contains { $0 == resource || ($0.hasSuffix("*") && resource.hasPrefix($0.dropLast())) })
            }
        }
        // An unknown part (already *) at the end of the common prefix is not doubled.
        #expect(ResourceSet.collapse(["arn:aws:s3:::b/*x", "arn:aws:s3:::b/*y"], cutoff: 1) == ["arn:aws:s3:::b/*"])
    }

    @Test("Millions of distinct objects keep bounded memory: collapsed as they come, every one still covered")
    func bounded() {
        var builder = PolicyBuilder()
        var keys: [String] = []
        for index in 0..<20_000 {
            let key = "\(index % 7)/part-\(index).json"
            keys.append(key)
            builder.add(call("s3", "GetObject", ["Bucket": "lake", "Key": key]))
        }
        let resources = builder.document.statements.flatMap(\.resources)
        #expect(resources.count <= ResourceOptions.defaultCutoff)
        for key in keys.prefix(500) + keys.suffix(500) {
            let arn = "arn:aws:s3:::lake/" + key
            #expect(resources.contains { $0 == arn || ($0.hasSuffix("*") && arn.hasPrefix($0.dropLast())) })
        }
        #expect(resources.allSatisfy { $0.hasPrefix("arn:aws:s3:::lake/") })
    }

    @Test("Repeated calls resolve once; new parameters of a repeated operation still add their resources")
    func repeated() {
        var builder = PolicyBuilder()
        let first = builder.add(call("s3", "GetObject", ["Bucket": "b", "Key": "1"]))
        let again = builder.add(call("s3", "GetObject", ["Bucket": "b", "Key": "1"]))
        let other = builder.add(call("s3", "GetObject", ["Bucket": "b", "Key": "2"]))
        #expect(first && !again && other)
        #expect(builder.document.statements.first?.resources == ["arn:aws:s3:::b/1", "arn:aws:s3:::b/2"])
    }

    @Test("Shared out among threads: the same statements as call by call")
    func threads() {
        var calls: [ObservedCall] = []
        for index in 0..<60_000 {
            let parameters: [String: String]? = index % 97 == 0 ? nil : ["Bucket": "b\(index % 3)", "Key": "k\(index % 40)"]
            calls.append(call("s3", index % 2 == 0 ? "GetObject" : "PutObject", parameters))
            if index % 5 == 0 { calls.append(call("dynamodb", "GetItem", ["TableName": "t\(index % 7)"])) }
        }
        var one = PolicyBuilder()
        for call in calls { one.add(call) }
        var many = PolicyBuilder()
        many.add(contentsOf: calls)
        #expect(many.document == one.document)
        #expect(many.actionsOnAny.map(\.action) == one.actionsOnAny.map(\.action))
    }

    @Test("A generated policy diffs clean against its calls; narrowed to the wrong bucket, the calls it denies")
    func diff() throws {
        var builder = PolicyBuilder(options: .init(resources: .init(account: "123456789012")))
        let calls = [
            call("s3", "PutObject", ["Bucket": "photos", "Key": "a/b c.jpg"]),
            call("s3", "CopyObject", ["Bucket": "thumbs", "Key": "a.jpg", "CopySource": "photos/a/b%20c.jpg"]),
            call("s3", "ListObjectsV2", ["Bucket": "photos"]),
            call("sqs", "SendMessage", ["QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/jobs"]),
            call("kms", "Encrypt", ["KeyId": "alias/app"]),
            call("lambda", "CreateFunction", ["FunctionName": "f", "Role": "arn:aws:iam::123456789012:role/exec"]),
            call("secretsmanager", "GetSecretValue", ["SecretId": "db/password"]),
        ]
        for call in calls { builder.add(call) }
        let json = builder.document.json
        let policy = try IAMPolicy.parse(Data(json.utf8), source: "generated.json")
        var clean = PolicyDiff(policies: [policy], account: "123456789012")
        for call in calls { clean.add(call) }
        let report = clean.report()
        #expect(!report.hasMissing, "\(report.missing.map { "\($0.action) \($0.resource)" })")
        #expect(report.allowed == report.requests)

        let narrowed = json.replacingOccurrences(of: "arn:aws:s3:::photos", with: "arn:aws:s3:::other")
        var wrong = PolicyDiff(policies: [try IAMPolicy.parse(Data(narrowed.utf8), source: "narrowed.json")], account: "123456789012")
        for call in calls { wrong.add(call) }
        let denied = wrong.report().missing.map { "\($0.action) on \($0.resource)" }.sorted()
        #expect(denied == [
            "s3:GetObject on arn:aws:s3:::photos/a/b c.jpg",
            "s3:ListBucket on arn:aws:s3:::photos",
            "s3:PutObject on arn:aws:s3:::photos/a/b c.jpg",
        ])
    }
}
