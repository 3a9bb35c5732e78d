import Foundation
import Testing
@testable import IAMScribeCore

@Suite("Policy diff")
struct PolicyDiffTests {
    func policy(_ statements: String, source: String = "p.json") throws -> IAMPolicy {
        try IAMPolicy.parse(Data(#"{"Version":"2012-10-17","Statement":[\#(statements)]}"#.utf8), source: source)
    }

    func fixtureCalls() throws -> [ObservedCall] {
        try CallInput.read(path: Fixtures.url("awscli-moto.csm.jsonl").path).calls
    }

    @Test("The recorded AWS CLI workload against a policy that lacks one action, grants an unused one and uses s3:*")
    func fixture() throws {
        let policy = try policy("""
        {"Sid":"S3","Effect":"Allow","Action":"s3:*","Resource":"*"},
        {"Sid":"Tables","Effect":"Allow","Action":["dynamodb:CreateTable","dynamodb:GetItem","dynamodb:PutItem","dynamodb:DeleteTable"],"Resource":"*"},
        {"Sid":"Lists","Effect":"Allow","Action":["sqs:ListQueues","lambda:ListFunctions"],"Resource":"*"}
        """)
        var diff = PolicyDiff(policies: [policy])
        for call in try fixtureCalls() { diff.add(call) }
        let report = diff.report()

        #expect(report.calls == 13)
        #expect(report.missing.count == 1)
        let missing = try #require(report.missing.first)
        #expect(missing.action == "sqs:CreateQueue")
        #expect(missing.outcome == .implicitDeny && missing.decision == "deny")
        #expect(missing.resource == "arn:aws:sqs:us-east-1:${Account}:${QueueName}")
        #expect(missing.operations == ["SQS CreateQueue"])
        #expect(missing.add == .init(action: ["sqs:CreateQueue"], resource: ["arn:aws:sqs:us-east-1:*:*"]))
        #expect(report.toAdd == [.init(action: ["sqs:CreateQueue"], resource: ["arn:aws:sqs:us-east-1:*:*"])])

        let tables = try #require(report.unused.first { $0.statement.sid == "Tables" })
        #expect(tables.unused == ["dynamodb:DeleteTable"])
        let s3 = try #require(report.unused.first { $0.statement.sid == "S3" })
        #expect(s3.used == ["s3:CreateBucket", "s3:GetObject", "s3:ListBucket", "s3:PutObject"])
        #expect(s3.unusedCount == s3.granted - 4 && s3.granted > 100)
        #expect(!report.unused.contains { $0.statement.sid == "Lists" })

        let broad = try #require(report.overBroad.first { $0.statement.sid == "S3" })
        #expect(broad.findings.map(\.element) == ["Action", "Resource"])
        #expect(broad.replacement.flatMap(\.action).sorted() == ["s3:CreateBucket", "s3:GetObject", "s3:ListBucket", "s3:PutObject"])
        #expect(broad.resourcesPartlyUnknown)
        // Lists acts on "*" only (no resource types): nothing to narrow.
        #expect(!report.overBroad.contains { $0.statement.sid == "Lists" })
        #expect(report.notes.permissionless == ["sts:GetCallerIdentity": 1])
        #expect(report.hasMissing)
    }

    @Test("The policy generate writes from the same calls misses nothing and grants nothing unused")
    func generated() throws {
        let generated = try IAMPolicy.load(path: Fixtures.url("awscli-moto.policy.json").path)
        var diff = PolicyDiff(policies: [generated])
        for call in try fixtureCalls() { diff.add(call) }
        let report = diff.report()
        #expect(!report.hasMissing)
        #expect(report.unused.isEmpty)
        #expect(report.allowed == report.requests)
    }

    @Test("Known resources: exact ARNs in the replacement, an explicit Deny offers no statement to add")
    func knownResources() throws {
        let policy = try policy("""
        {"Sid":"Bucket","Effect":"Allow","Action":["s3:Get*","s3:PutObject"],"Resource":"arn:aws:s3:::photos/*"},
        {"Sid":"NoRaw","Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::photos/raw/*"}
        """)
        var diff = PolicyDiff(policies: [policy])
        let time = Date(timeIntervalSince1970: 1_800_000_000)
        diff.add(ObservedCall(source: .pcap, time: time, service: "s3", operation: "GetObject", region: "eu-west-1",
                              parameters: ["Bucket": "photos", "Key": "a.jpg"]))
        diff.add(ObservedCall(source: .pcap, time: time, service: "s3", operation: "PutObject", region: "eu-west-1",
                              parameters: ["Bucket": "photos", "Key": "raw/b.cr2"]))
        let report = diff.report()
        let denied = try #require(report.missing.first)
        #expect(report.missing.count == 1)
        #expect(denied.outcome == .explicitDeny)
        #expect(denied.resource == "arn:aws:s3:::photos/raw/b.cr2")
        #expect(denied.statements.first?.sid == "NoRaw")
        #expect(denied.add == nil)
        #expect(denied.fix.contains(#"statement 2 "NoRaw" of p.json denies it"#))
        #expect(report.toAdd.isEmpty)

        let broad = try #require(report.overBroad.first { $0.statement.sid == "Bucket" })
        #expect(broad.findings.contains { $0.element == "Action" && $0.value == "s3:Get*" })
        #expect(broad.findings.contains { $0.element == "Resource" && $0.value == "arn:aws:s3:::photos/*" })
        #expect(!broad.resourcesPartlyUnknown)
        #expect(broad.replacement == [
            .init(action: ["s3:GetObject"], resource: ["arn:aws:s3:::photos/a.jpg"]),
            .init(action: ["s3:PutObject"], resource: ["arn:aws:s3:::photos/raw/b.cr2"]),
        ])
    }

    @Test("CSM: a resource-specific statement makes the call depend on the resource; the replacement keeps its pattern")
    func unknownResource() throws {
        let policy = try policy(#"{"Sid":"Table","Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:*:*:table/fixture"}"#)
        var diff = PolicyDiff(policies: [policy])
        for call in try fixtureCalls() where call.service == "DynamoDB" { diff.add(call) }
        let report = diff.report()
        #expect(report.missing.count == 3)
        #expect(report.missing.allSatisfy { $0.outcome == .conditional && $0.dependsOn == ["${TableName} in the resource"] })
        #expect(report.toAdd.isEmpty)
        let broad = try #require(report.overBroad.first)
        #expect(broad.findings.map(\.element) == ["Action"])
        #expect(broad.replacement == [.init(action: ["dynamodb:CreateTable", "dynamodb:GetItem", "dynamodb:PutItem"],
                                            resource: ["arn:aws:dynamodb:*:*:table/fixture"])])
    }

    @Test("NotAction is over-broad; a statement no call used is to be removed; conditions stay in the replacement")
    func notAction() throws {
        let policy = try policy("""
        {"Sid":"Everything","Effect":"Allow","NotAction":"iam:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}},
        {"Sid":"Never","Effect":"Allow","Action":"kinesis:Put*","Resource":"*"}
        """)
        var diff = PolicyDiff(policies: [policy])
        for call in try fixtureCalls() where call.service == "SQS" { diff.add(call) }
        let report = diff.report()
        #expect(!report.hasMissing)
        let everything = try #require(report.overBroad.first { $0.statement.sid == "Everything" })
        #expect(everything.findings.first?.element == "NotAction")
        #expect(everything.replacement.first?.condition == ["StringEquals": ["aws:RequestedRegion": ["us-east-1"]]])
        let never = try #require(report.overBroad.first { $0.statement.sid == "Never" })
        #expect(never.replacement.isEmpty)
        let unused = try #require(report.unused.first { $0.statement.sid == "Everything" })
        #expect(unused.element == "NotAction" && unused.granted > 10_000 && unused.used == ["sqs:CreateQueue", "sqs:ListQueues"])
    }
}
