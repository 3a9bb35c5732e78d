import Testing
@testable import IAMScribeCore

/// The hand-written resource mappings (`resource` lines of Scripts/action-overrides.txt), through
/// the one resolution generate, diff, evaluate and lookup share.
@Suite("Resource mappings: parameters to ARNs, per service")
struct ResourceMappingTests {
    let table = ActionTable.bundled
    let resolver = RequestResolver()

    /// The ARN each action of a call acts on (`or` between the resources of one-of scope).
    func arns(_ service: String, _ operation: String, _ parameters: [String: String], region: String = "us-east-1",
              account: String? = "123456789012") throws -> [String: String] {
        let permissions = try table.permissions(service: service, operation: operation, parameters: parameters).get()
        var out: [String: String] = [:]
        for action in permissions.actions {
            let found = resolver.resources(for: action, operation: permissions.operation, parameters: parameters,
                                           region: region, account: account)
            out[action] = found.resources.map(\.description).joined(separator: found.scope == .oneOf ? " or " : " and ")
        }
        return out
    }

    @Test("S3: buckets and objects; CopyObject reads the source named by x-amz-copy-source")
    func s3() throws {
        #expect(try arns("s3", "GetObject", ["Bucket": "photos", "Key": "2026/cat.jpg"]) == ["s3:GetObject": "arn:aws:s3:::photos/2026/cat.jpg"])
        #expect(try arns("s3", "ListObjectsV2", ["Bucket": "photos"]) == ["s3:ListBucket": "arn:aws:s3:::photos"])
        #expect(try arns("s3", "CopyObject", ["Bucket": "thumbs", "Key": "cat.jpg", "CopySource": "/photos/2026/big%20cat.jpg?versionId=7"]) == [
            "s3:PutObject": "arn:aws:s3:::thumbs/cat.jpg", "s3:GetObject": "arn:aws:s3:::photos/2026/big cat.jpg",
        ])
        // A key that looks like an ARN is still a key.
        #expect(try arns("s3", "GetObject", ["Bucket": "b", "Key": "arn:aws:s3:::other/x"]) == ["s3:GetObject": "arn:aws:s3:::b/arn:aws:s3:::other/x"])
    }

    @Test("DynamoDB: tables, indexes (IndexName), streams (StreamArn; a shard iterator names none)")
    func dynamodb() throws {
        #expect(try arns("dynamodb", "GetItem", ["TableName": "users"]) == ["dynamodb:GetItem": "arn:aws:dynamodb:us-east-1:123456789012:table/users"])
        #expect(try arns("dynamodb", "Query", ["TableName": "users"]) == ["dynamodb:Query": "arn:aws:dynamodb:us-east-1:123456789012:table/users"])
        #expect(try arns("dynamodb", "Query", ["TableName": "users", "IndexName": "byEmail"]) == [
            "dynamodb:Query": "arn:aws:dynamodb:us-east-1:123456789012:table/users/index/byEmail",
        ])
        let stream = "arn:aws:dynamodb:us-east-1:123456789012:table/users/stream/2026-11-30T00:00:00.000"
        #expect(try arns("dynamodbstreams", "DescribeStream", ["StreamArn": stream]) == ["dynamodb:DescribeStream": stream])
        #expect(try arns("dynamodbstreams", "GetRecords", ["ShardIterator": "opaque"]) == [
            "dynamodb:GetRecords": "arn:aws:dynamodb:us-east-1:123456789012:table/${TableName}/stream/${StreamLabel}",
        ])
    }

    @Test("SQS from the queue URL (with its account); SNS from the topic ARN or the new topic's name")
    func messaging() throws {
        #expect(try arns("sqs", "SendMessage", ["QueueUrl": "http://localhost:4566/000000000000/jobs"]) == [
            "sqs:SendMessage": "arn:aws:sqs:us-east-1:000000000000:jobs",
        ])
        #expect(try arns("sqs", "CreateQueue", ["QueueName": "jobs"]) == ["sqs:CreateQueue": "arn:aws:sqs:us-east-1:123456789012:jobs"])
        #expect(try arns("sns", "Publish", ["TopicArn": "arn:aws:sns:us-east-1:210987654321:alerts"]) == [
            "sns:Publish": "arn:aws:sns:us-east-1:210987654321:alerts",
        ])
        #expect(try arns("sns", "CreateTopic", ["Name": "alerts"]) == ["sns:CreateTopic": "arn:aws:sns:us-east-1:123456789012:alerts"])
    }

    @Test("Lambda: functions by name, ARN or partial ARN; versions and aliases; layers; the role passed")
    func lambda() throws {
        let base = "arn:aws:lambda:us-east-1:123456789012:function"
        #expect(try arns("lambda", "Invoke", ["FunctionName": "app"]) == ["lambda:InvokeFunction": "\(base):app"])
        #expect(try arns("lambda", "Invoke", ["FunctionName": "app", "Qualifier": "live"]) == ["lambda:InvokeFunction": "\(base):app:live"])
        #expect(try arns("lambda", "Invoke", ["FunctionName": "app:3"]) == ["lambda:InvokeFunction": "\(base):app:3"])
        #expect(try arns("lambda", "Invoke", ["FunctionName": "210987654321:function:app"]) == [
            "lambda:InvokeFunction": "arn:aws:lambda:us-east-1:210987654321:function:app",
        ])
        #expect(try arns("lambda", "GetFunction", ["FunctionName": "\(base):app:live"]) == ["lambda:GetFunction": "\(base):app:live"])
        #expect(try arns("lambda", "GetLayerVersion", ["LayerName": "arn:aws:lambda:us-east-1:123456789012:layer:deps", "VersionNumber": "4"]) == [
            "lambda:GetLayerVersion": "arn:aws:lambda:us-east-1:123456789012:layer:deps:4",
        ])
        #expect(try arns("lambda", "CreateFunction", ["FunctionName": "app", "Role": "arn:aws:iam::123456789012:role/service/exec"]) == [
            "lambda:CreateFunction": "\(base):app", "iam:PassRole": "arn:aws:iam::123456789012:role/service/exec",
        ])
    }

    @Test("KMS: a key id or ARN names the key; an alias leaves the key unknown; aliases by name")
    func kms() throws {
        let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        #expect(try arns("kms", "Encrypt", ["KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"]) == ["kms:Encrypt": key])
        #expect(try arns("kms", "Decrypt", ["KeyId": key]) == ["kms:Decrypt": key])
        #expect(try arns("kms", "Encrypt", ["KeyId": "alias/app"]) == ["kms:Encrypt": "arn:aws:kms:us-east-1:123456789012:key/${KeyId}"])
        let alias = try arns("kms", "CreateAlias", ["AliasName": "alias/app", "TargetKeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"])
        #expect(alias == ["kms:CreateAlias": "arn:aws:kms:us-east-1:123456789012:alias/app and \(key)"])
    }

    @Test("Secrets Manager: a name gets -??????; SSM parameters with and without a leading slash")
    func secretsAndParameters() throws {
        #expect(try arns("secretsmanager", "GetSecretValue", ["SecretId": "prod/db"]) == [
            "secretsmanager:GetSecretValue": "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-??????",
        ])
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-a1B2c3"
        #expect(try arns("secretsmanager", "GetSecretValue", ["SecretId": arn]) == ["secretsmanager:GetSecretValue": arn])
        #expect(try arns("ssm", "GetParameter", ["Name": "/app/db/url"]) == ["ssm:GetParameter": "arn:aws:ssm:us-east-1:123456789012:parameter/app/db/url"])
        #expect(try arns("ssm", "GetParameter", ["Name": "plain"]) == ["ssm:GetParameter": "arn:aws:ssm:us-east-1:123456789012:parameter/plain"])
        #expect(try arns("ssm", "GetParametersByPath", ["Path": "/app/"]) == ["ssm:GetParametersByPath": "arn:aws:ssm:us-east-1:123456789012:parameter/app/"])
    }

    @Test("IAM and STS: names under an unknown path, the path a create call gives, ARNs as they are")
    func iam() throws {
        #expect(try arns("iam", "GetRole", ["RoleName": "app"]) == ["iam:GetRole": "arn:aws:iam::123456789012:role/${Path}app"])
        #expect(try arns("iam", "CreateRole", ["RoleName": "app"]) == ["iam:CreateRole": "arn:aws:iam::123456789012:role/app"])
        #expect(try arns("iam", "CreateRole", ["RoleName": "app", "Path": "/service/"]) == ["iam:CreateRole": "arn:aws:iam::123456789012:role/service/app"])
        #expect(try arns("iam", "GetUser", ["UserName": "ci"]) == ["iam:GetUser": "arn:aws:iam::123456789012:user/${Path}ci"])
        #expect(try arns("iam", "GetPolicy", ["PolicyArn": "arn:aws:iam::123456789012:policy/read"]) == ["iam:GetPolicy": "arn:aws:iam::123456789012:policy/read"])
        #expect(try arns("sts", "AssumeRole", ["RoleArn": "arn:aws:iam::210987654321:role/deploy", "RoleSessionName": "s"]) == [
            "sts:AssumeRole": "arn:aws:iam::210987654321:role/deploy",
        ])
    }

    @Test("Logs, EC2, ECR, ECS, Kinesis, Step Functions, EventBridge, CloudFormation")
    func others() throws {
        #expect(try arns("logs", "PutLogEvents", ["logGroupName": "/aws/lambda/app", "logStreamName": "s1"]) == [
            "logs:PutLogEvents": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/app:log-stream:s1",
        ])
        #expect(try arns("logs", "CreateLogGroup", ["logGroupName": "/app"]) == ["logs:CreateLogGroup": "arn:aws:logs:us-east-1:123456789012:log-group:/app"])
        #expect(try arns("ec2", "AttachVolume", ["InstanceId": "i-1", "VolumeId": "vol-1"]) == [
            "ec2:AttachVolume": "arn:aws:ec2:us-east-1:123456789012:instance/i-1 and arn:aws:ec2:us-east-1:123456789012:volume/vol-1",
        ])
        #expect(try arns("ec2", "AuthorizeSecurityGroupIngress", ["GroupId": "sg-1"]) == [
            "ec2:AuthorizeSecurityGroupIngress": "arn:aws:ec2:us-east-1:123456789012:security-group/sg-1",
        ])
        #expect(try arns("ecr", "BatchGetImage", ["repositoryName": "web"]) == ["ecr:BatchGetImage": "arn:aws:ecr:us-east-1:123456789012:repository/web"])
        #expect(try arns("ecs", "UpdateService", ["cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/prod", "service": "web"]) == [
            "ecs:UpdateService": "arn:aws:ecs:us-east-1:123456789012:service/prod/web",
        ])
        #expect(try arns("kinesis", "PutRecord", ["StreamName": "clicks"]) == ["kinesis:PutRecord": "arn:aws:kinesis:us-east-1:123456789012:stream/clicks"])
        #expect(try arns("kinesis", "PutRecord", ["StreamARN": "arn:aws:kinesis:us-east-1:210987654321:stream/clicks"]) == [
            "kinesis:PutRecord": "arn:aws:kinesis:us-east-1:210987654321:stream/clicks",
        ])
        let machine = "arn:aws:states:us-east-1:123456789012:stateMachine:orders"
        #expect(try arns("stepfunctions", "StartExecution", ["stateMachineArn": machine]) == ["states:StartExecution": machine])
        #expect(try arns("events", "PutRule", ["Name": "nightly"]) == ["events:PutRule": "arn:aws:events:us-east-1:123456789012:rule/nightly"])
        #expect(try arns("cloudformation", "DescribeStacks", ["StackName": "app"]) == [
            "cloudformation:DescribeStacks": "arn:aws:cloudformation:us-east-1:123456789012:stack/app/${Id}",
        ])
    }

    @Test("The table carries the mappings; every resource line maps some operation")
    func carried() {
        let statistics = ActionTable.bundled.statistics
        #expect(statistics.resourceMappings == 365)
        #expect(statistics.resourceMappedServices == 19)
        #expect(RequestResolver.fits("arn:aws:sns:us-east-1:1:t", "arn:${Partition}:sns:${Region}:${Account}:${TopicName}"))
        #expect(!RequestResolver.fits("arn:aws:sqs:us-east-1:1:t", "arn:${Partition}:sns:${Region}:${Account}:${TopicName}"))
        #expect(!RequestResolver.fits("arn:aws:s3:::b", "arn:${Partition}:s3:::${BucketName}/${ObjectName}"))
    }
}
