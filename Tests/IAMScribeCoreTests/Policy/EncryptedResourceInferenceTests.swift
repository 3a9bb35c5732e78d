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

    @Test("Secrets Manager: a secret created or updated under a customer managed key needs KMS; the AWS managed key needs nothing")
    func secretsManagerKeys() {
        var customer = PolicyBuilder()
        customer.add(Self.call("secretsmanager", "CreateSecret", ["Name": "db", "KmsKeyId": "alias/app"]))
        #expect(Set(customer.actions).isSuperset(of: ["kms:Decrypt", "kms:GenerateDataKey"]))

        var managed = PolicyBuilder()
        managed.add(Self.call("secretsmanager", "CreateSecret", ["Name": "db", "KmsKeyId": "alias/aws/secretsmanager"]))
        managed.add(Self.call("secretsmanager", "UpdateSecret", [
            "SecretId": "db", "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:alias/aws/secretsmanager",
        ]))
        managed.add(Self.call("secretsmanager", "CreateSecret", ["Name": "plain"]))
        #expect(!managed.actions.contains { $0.hasPrefix("kms:") })

        var updated = PolicyBuilder()
        updated.add(Self.call("secretsmanager", "UpdateSecret", ["SecretId": "db", "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/k"]))
        #expect(Set(updated.actions).isSuperset(of: ["kms:Decrypt", "kms:GenerateDataKey"]))
    }

    @Test("S3: an object put with its own key marks that object; the bucket's default encryption marks the bucket")
    func s3PerObject() {
        var builder = PolicyBuilder()
        builder.add(Self.call("s3", "PutObject", ["Bucket": "data", "Key": "a.csv", "SSEKMSKeyId": "arn:aws:kms:us-east-1:1:key/k"]))
        builder.add(Self.call("s3", "GetObject", ["Bucket": "data", "Key": "b.csv"]))
        #expect(!builder.actions.contains("kms:Decrypt"), "another object of the bucket is not known to be encrypted")
        builder.add(Self.call("s3", "GetObject", ["Bucket": "data", "Key": "a.csv"]))
        #expect(builder.actions.contains("kms:Decrypt"))

        var bucket = PolicyBuilder()
        bucket.add(Self.call("s3", "PutBucketEncryption", ["Bucket": "logs", "ServerSideEncryptionConfiguration.KMSMasterKeyID": "k"]))
        bucket.add(Self.call("s3", "GetObject", ["Bucket": "logs", "Key": "any/object"]))
        #expect(bucket.actions.contains("kms:Decrypt"))
    }

    @Test("SSM: a SecureString under a customer managed key needs kms:Decrypt only when read WithDecryption")
    func ssmWithDecryption() {
        let put = Self.call("ssm", "PutParameter", ["Name": "/app/db", "KeyId": "alias/app"])
        var plain = PolicyBuilder()
        plain.add(put)
        plain.add(Self.call("ssm", "GetParameter", ["Name": "/app/db"]))
        plain.add(Self.call("ssm", "GetParameter", ["Name": "/app/db", "WithDecryption": "false"]))
        #expect(!plain.actions.contains("kms:Decrypt"))
        // Settled, not "may also need": the parameters show nothing is decrypted.
        #expect(!plain.notes.mayAlsoNeed.contains { $0.action == "kms:Decrypt" })

        var decrypted = PolicyBuilder()
        decrypted.add(put)
        decrypted.add(Self.call("ssm", "GetParameter", ["Name": "/app/db", "WithDecryption": "true"]))
        #expect(decrypted.actions.contains("kms:Decrypt"))

        // WithDecryption on a parameter the recording did not see encrypted: may also need.
        var unknown = PolicyBuilder()
        unknown.add(Self.call("ssm", "GetParameter", ["Name": "/other", "WithDecryption": "true"]))
        #expect(unknown.notes.mayAlsoNeed.contains { $0.action == "kms:Decrypt" && $0.why == .encryptedResource })
        // A call without WithDecryption first does not hide the note of one with it (separate variants).
        var both = PolicyBuilder()
        both.add(Self.call("ssm", "GetParameter", ["Name": "/other"]))
        both.add(Self.call("ssm", "GetParameter", ["Name": "/other", "WithDecryption": "true"]))
        #expect(both.notes.mayAlsoNeed.contains { $0.action == "kms:Decrypt" })
    }

    @Test("AWS managed keys in attribute maps and attribute values do not mark the resource")
    func managedKeysInAttributes() {
        var builder = PolicyBuilder()
        builder.add(Self.call("sqs", "CreateQueue", ["QueueName": "orders", "Attributes.KmsMasterKeyId": "alias/aws/sqs"]))
        builder.add(Self.call("sqs", "SendMessage", ["QueueUrl": Self.queueURL]))
        builder.add(Self.call("sns", "SetTopicAttributes", ["TopicArn": "arn:aws:sns:us-east-1:123456789012:alerts",
                                                             "AttributeName": "KmsMasterKeyId",
                                                             "AttributeValue": "arn:aws:kms:us-east-1:123456789012:alias/aws/sns"]))
        builder.add(Self.call("sns", "Publish", ["TopicArn": "arn:aws:sns:us-east-1:123456789012:alerts"]))
        #expect(!builder.actions.contains { $0.hasPrefix("kms:") })

        var customer = PolicyBuilder()
        customer.add(Self.call("sns", "SetTopicAttributes", ["TopicArn": "arn:aws:sns:us-east-1:123456789012:alerts",
                                                              "AttributeName": "KmsMasterKeyId", "AttributeValue": "alias/alerts"]))
        customer.add(Self.call("sns", "Publish", ["TopicArn": "arn:aws:sns:us-east-1:123456789012:alerts"]))
        #expect(customer.actions.contains("kms:GenerateDataKey"))
    }

    @Test("Lambda: a function whose environment uses a customer managed key needs kms:Decrypt to read it back")
    func lambdaEnvironment() {
        var builder = PolicyBuilder()
        builder.add(Self.call("lambda", "CreateFunction", ["FunctionName": "worker", "KMSKeyArn": "arn:aws:kms:us-east-1:1:key/k"]))
        builder.add(Self.call("lambda", "GetFunctionConfiguration", ["FunctionName": "arn:aws:lambda:us-east-1:1:function:worker:live"]))
        #expect(builder.actions.contains("kms:Decrypt"))
        var other = PolicyBuilder()
        other.add(Self.call("lambda", "CreateFunction", ["FunctionName": "worker", "KMSKeyArn": "arn:aws:kms:us-east-1:1:key/k"]))
        other.add(Self.call("lambda", "GetFunction", ["FunctionName": "reader"]))
        #expect(!other.actions.contains("kms:Decrypt"))
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
