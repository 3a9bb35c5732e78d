import Foundation
import Testing
@testable import IAMScribeCore

@Suite("Policy builder")
struct PolicyBuilderTests {
    func call(_ service: String, _ operation: String, status: Int = 200, error: String? = nil) -> ObservedCall {
        ObservedCall(source: .csm, time: Date(timeIntervalSince1970: 0), service: service, operation: operation,
                     httpStatus: status, errorCode: error)
    }

    @Test("The AWS CLI v1 fixture recorded against moto gives the exact expected policy")
    func fixturePolicy() throws {
        let input = try CallInput.read(path: Fixtures.url("awscli-moto.csm.jsonl").path)
        #expect(input.diagnostics.isEmpty)
        #expect(input.calls.count == 13)
        var builder = PolicyBuilder()
        for call in input.calls { builder.add(call) }
        #expect(builder.document.json == (try Fixtures.text("awscli-moto.policy.json")))
        #expect(builder.report.notes.permissionless == ["sts:GetCallerIdentity": 1])
        #expect(builder.report.notes.unmapped.isEmpty)
        #expect(input.calls.allSatisfy { $0.accessKeyID?.value == "AKIAIOSFODNN7EXAMPLE" })
    }

    @Test("A long list added at once, shared out among threads, builds what adding it call by call builds")
    func addContentsOf() throws {
        // Many kinds of calls, in stretches long enough to be split: new actions appear late,
        // conditional ones depend on parameters, some calls fail, some are permissionless,
        // unmapped or unknown.
        var calls: [ObservedCall] = []
        let kinds: [(String, String, [String: String]?)] = [
            ("s3", "PutObject", ["Bucket": "b", "Key": "k"]), ("s3", "PutObject", ["Bucket": "b", "Key": "k", "Tagging": ""]),
            ("s3", "GetObject", nil), ("dynamodb", "GetItem", ["TableName": "t"]), ("sts", "GetCallerIdentity", nil),
            ("nosuchservice", "Thing", nil), ("s3", "NoSuchOperation", nil), ("sqs", "SendMessage", nil),
        ]
        for index in 0..<90_000 {
            let kind = kinds[(index * 7 + index / 1000) % kinds.count]
            calls.append(ObservedCall(source: .pcap, time: Date(timeIntervalSince1970: Double(index)), service: kind.0,
                                      operation: kind.1, httpStatus: index % 11 == 0 ? 403 : 200, parameters: kind.2))
        }
        calls.append(call("lambda", "Invoke"))
        calls.append(call("kms", "Decrypt"))
        for options in [PolicyBuilder.Options(order: .firstSeen), PolicyBuilder.Options(failsOnly: true, order: .firstSeen)] {
            var one = PolicyBuilder(options: options)
            for call in calls { one.add(call) }
            var many = PolicyBuilder(options: options)
            let changed = many.add(contentsOf: calls)
            #expect(changed)
            #expect(many.actions == one.actions)
            #expect(many.report == one.report)
            #expect(many.document.json == one.document.json)
            let again = many.add(contentsOf: calls)
            #expect(!again)
        }
    }

    @Test("Actions are deduplicated and sorted; first-seen order on request")
    func ordering() {
        var alphabetical = PolicyBuilder()
        var firstSeen = PolicyBuilder(options: .init(order: .firstSeen))
        for c in [call("SQS", "SendMessage"), call("S3", "ListObjectsV2"), call("DynamoDB", "GetItem"), call("s3", "ListObjects")] {
            alphabetical.add(c)
            firstSeen.add(c)
        }
        #expect(alphabetical.actions == ["dynamodb:GetItem", "s3:ListBucket", "sqs:SendMessage"])
        #expect(firstSeen.actions == ["sqs:SendMessage", "s3:ListBucket", "dynamodb:GetItem"])
    }

    @Test("fails-only takes only failed calls")
    func failsOnly() {
        var builder = PolicyBuilder(options: .init(failsOnly: true))
        builder.add(call("S3", "GetObject"))
        builder.add(call("S3", "PutObject", status: 403, error: "AccessDenied"))
        builder.add(call("SQS", "SendMessage", status: 200, error: "Throttling"))
        #expect(builder.actions == ["s3:PutObject", "sqs:SendMessage"])
        #expect(builder.report.skippedSuccessful == 1)
    }

    @Test("Permissionless, unknown and unmapped calls stay out of the policy but are reported")
    func reported() {
        var builder = PolicyBuilder()
        builder.add(call("STS", "GetCallerIdentity"))
        builder.add(call("NoSuchService", "Foo"))
        #expect(builder.actions.isEmpty)
        #expect(builder.document.statements.isEmpty)
        #expect(builder.report.notes.permissionless["sts:GetCallerIdentity"] == 1)
        #expect(builder.report.notes.unknown.examples.map(\.name).contains("NoSuchService.Foo"))
    }

    @Test("The document renders IAM's JSON and counts its quota size")
    func rendering() throws {
        let document = PolicyDocument(statements: [.init(actions: ["s3:GetObject"])])
        #expect(document.json == """
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "*"
                }
            ]
        }

        """)
        let compact = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#
        #expect(document.quotaSize == compact.count)
        let parsed = try JSONSerialization.jsonObject(with: Data(document.json.utf8)) as? [String: Any]
        #expect(parsed?["Version"] as? String == "2012-10-17")
    }
}
