import Foundation
@testable import IAMScribeCore
import Testing

@Suite("A recording infers encrypted resources: later calls on them get the (encrypted) actions")
struct EncryptedResourceInferenceTests {
    private static func call(_ service: String, _ operation: String, _ parameters: [String: String]?) -> ObservedCall {
        ObservedCall(source: .pcap, time: Date(timeIntervalSince1970: 1_800_000_000), service: service, operation: operation,
                     httpStatus: 200, parameters: parameters)
    }

    private static let queueURL = "http://localhost:5000/123456789012/orders"

    @Test("An SQS queue created with KmsMasterKeyId and then written to needs its key")
    func sqs() {
        var builder = PolicyBuilder()
        builder.add(Self.call("sqs", "CreateQueue", ["QueueName": "orders", "Attributes.KmsMasterKeyId": ""]))
        builder.add(Self.call("sqs", "SendMessage", ["QueueUrl": Self.queueURL]))
        builder.add(Self.call("sqs", "ReceiveMessage", ["QueueUrl": Self.queueURL]))
        #expect(builder.actions == ["kms:Decrypt", "kms:GenerateDataKey", "sqs:CreateQueue", "sqs:ReceiveMessage", "sqs:SendMessage"])
        #expect(builder.notes.mayAlsoNeed.isEmpty)
    }

    @Test("Another queue, or a queue created without a key, or calls without parameters: may also need, grouped as encrypted")
    func notInferred() {
        var builder = PolicyBuilder()
        builder.add(Self.call("sqs", "CreateQueue", ["QueueName": "plain"]))
        builder.add(Self.call("sqs", "CreateQueue", ["QueueName": "orders", "Attributes.KmsMasterKeyId": ""]))
        builder.add(Self.call("sqs", "SendMessage", ["QueueUrl": "http://localhost:5000/123456789012/plain"]))
        builder.add(Self.call("SQS", "SendMessage", nil))
        #expect(builder.actions == ["sqs:CreateQueue", "sqs:SendMessage"])
        let notes = builder.notes.mayAlsoNeed
        #expect(notes.map(\.action) == ["kms:Decrypt", "kms:GenerateDataKey"])
        #expect(notes.allSatisfy { $0.why == .encryptedResource && $0.neededBy == ["SQS SendMessage"] })
    }

    @Test("A call before the key was set is not changed; later ones are")
    func order() {
        var builder = PolicyBuilder()
        builder.add(Self.call("sqs", "SendMessage", ["QueueUrl": Self.queueURL]))
        #expect(builder.actions == ["sqs:SendMessage"])
        builder.add(Self.call("sqs", "SetQueueAttributes", ["QueueUrl": Self.queueURL, "Attributes.KmsMasterKeyId": ""]))
        builder.add(Self.call("sqs", "SendMessage", ["QueueUrl": Self.queueURL]))
        #expect(builder.actions.contains("kms:GenerateDataKey"))
    }

    @Test("SNS topics, secrets and Kinesis streams, named in other ways by later calls")
    func otherServices() {
        var builder = PolicyBuilder()
        builder.add(Self.call("sns", "SetTopicAttributes", ["TopicArn": "arn:aws:sns:us-east-1:123456789012:alerts",
                                                             "AttributeName": "KmsMasterKeyId"]))
        builder.add(Self.call("sns", "Publish", ["TopicArn": "arn:aws:sns:us-east-1:123456789012:alerts"]))
        builder.add(Self.call("secretsmanager", "CreateSecret", ["Name": "db", "KmsKeyId": ""]))
        builder.add(Self.call("secretsmanager", "GetSecretValue",
                              ["SecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"]))
        builder.add(Self.call("kinesis", "StartStreamEncryption", ["StreamName": "clicks", "KeyId": "arn:aws:kms:us-east-1:1:key/k"]))
        builder.add(Self.call("kinesis", "PutRecord", ["StreamARN": "arn:aws:kinesis:us-east-1:1:stream/clicks"]))
        #expect(Set(builder.actions).isSuperset(of: ["kms:Decrypt", "kms:GenerateDataKey"]))
        #expect(builder.notes.mayAlsoNeed.filter { $0.action.hasPrefix("kms:") }.isEmpty)

        // An AWS managed key needs nothing of the caller.
        var managed = PolicyBuilder()
        managed.add(Self.call("kinesis", "StartStreamEncryption", ["StreamName": "clicks", "KeyId": "alias/aws/kinesis"]))
        managed.add(Self.call("kinesis", "PutRecord", ["StreamName": "clicks"]))
        #expect(!managed.actions.contains("kms:GenerateDataKey"))
    }

    @Test("A long list shared out among threads infers across its stretches")
    func threads() {
        var calls = [Self.call("sqs", "CreateQueue", ["QueueName": "orders", "Attributes.KmsMasterKeyId": ""])]
        calls += (0..<80_000).map { _ in Self.call("s3", "ListBuckets", [:]) }
        calls.append(Self.call("sqs", "SendMessage", ["QueueUrl": Self.queueURL]))
        var shared = PolicyBuilder()
        shared.add(contentsOf: calls)
        var one = PolicyBuilder()
        for call in calls { one.add(call) }
        #expect(shared.actions == one.actions)
        #expect(shared.actions.contains("kms:GenerateDataKey"))
    }
}

@Suite("diff infers encrypted resources as generate does")
struct EncryptedResourceDiffTests {
    @Test("A queue created with a key: the diff misses kms:GenerateDataKey on SendMessage, not just notes it")
    func diff() throws {
        let policy = try IAMPolicy.parse(Data(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}"#.utf8), source: "p.json")
        var diff = PolicyDiff(policies: [policy])
        let time = Date(timeIntervalSince1970: 1_800_000_000)
        diff.add(ObservedCall(source: .pcap, time: time, service: "sqs", operation: "CreateQueue",
                              parameters: ["QueueName": "orders", "Attributes.KmsMasterKeyId": ""]))
        diff.add(ObservedCall(source: .pcap, time: time, service: "sqs", operation: "SendMessage",
                              parameters: ["QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/orders"]))
        let report = diff.report()
        #expect(Set(report.missing.map(\.action)) == ["kms:Decrypt", "kms:GenerateDataKey"])
        #expect(report.notes.mayAlsoNeed.isEmpty)
    }

    @Test("S3 default encryption with a customer managed key marks the bucket")
    func bucketEncryption() {
        var builder = PolicyBuilder()
        let time = Date(timeIntervalSince1970: 1_800_000_000)
        builder.add(ObservedCall(source: .pcap, time: time, service: "s3", operation: "PutBucketEncryption",
                                 parameters: ["Bucket": "logs", "ServerSideEncryptionConfiguration.KMSMasterKeyID": ""]))
        builder.add(ObservedCall(source: .pcap, time: time, service: "s3", operation: "GetObject",
                                 parameters: ["Bucket": "logs", "Key": "a.txt"]))
        #expect(builder.actions == ["kms:Decrypt", "s3:GetObject", "s3:PutEncryptionConfiguration"])
    }
}
