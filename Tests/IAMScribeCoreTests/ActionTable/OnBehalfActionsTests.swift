@testable import IAMScribeCore
import Testing

@Suite("Actions services take with the caller's permissions: triggers, kinds and provenance")
struct OnBehalfActionsTests {
    private let table = ActionTable.bundled

    private func operation(_ service: String, _ name: String) throws -> OperationInfo {
        let found = try #require(table.service(named: service))
        return try #require(table.operation(name, of: found))
    }

    private func conditional(_ operation: OperationInfo, _ action: String) throws -> OperationInfo.ConditionalAction {
        try #require(operation.conditionalActions.first { $0.action == action })
    }

    @Test("KMS behind encrypted resources is conditional on (encrypted), with a source", arguments: [
        ("Secrets Manager", "GetSecretValue", ["kms:Decrypt"]),
        ("SNS", "Publish", ["kms:GenerateDataKey", "kms:Decrypt"]),
        ("SQS", "SendMessage", ["kms:GenerateDataKey", "kms:Decrypt"]),
        ("SQS", "SendMessageBatch", ["kms:GenerateDataKey", "kms:Decrypt"]),
        ("SQS", "ReceiveMessage", ["kms:Decrypt"]),
        ("SSM", "GetParameter", ["kms:Decrypt"]),
        ("Kinesis", "PutRecord", ["kms:GenerateDataKey"]),
        ("Kinesis", "GetRecords", ["kms:Decrypt"]),
        ("DynamoDB", "GetItem", ["kms:Decrypt"]),
        ("Lambda", "GetFunctionConfiguration", ["kms:Decrypt"]),
        ("S3", "GetObject", ["kms:Decrypt"]),
        ("S3", "UploadPart", ["kms:GenerateDataKey", "kms:Decrypt"]),
        ("EC2", "RunInstances", ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext",
                                 "kms:ReEncryptFrom", "kms:ReEncryptTo"]),
    ])
    func encrypted(service: String, name: String, actions: [String]) throws {
        let op = try operation(service, name)
        for action in actions {
            let entry = try conditional(op, action)
            #expect(entry.kind == .encryptedResource)
            #expect(op.origin(of: action)?.rule == .override)
            #expect(op.origin(of: action)?.overrideLine != nil)
        }
        #expect(op.source?.isEmpty == false)
        // Known parameters cannot settle it: it stays "may also need" unless the resource is known
        // encrypted (given what a `+Member` trigger asks for as well: SSM's WithDecryption).
        var given: [String: String] = [:]
        for action in actions {
            for required in try conditional(op, action).requiredMembers {
                let parts = required.split(separator: "=", maxSplits: 1).map(String.init)
                given[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
        }
        let known = ActionTable.actions(of: op, parameters: given)
        #expect(Set(actions).isSubset(of: Set(known.mayAlsoNeed)))
        var encryptedParameters = given
        encryptedParameters[OperationInfo.encryptedTrigger] = ""
        let encrypted = ActionTable.actions(of: op, parameters: encryptedParameters)
        #expect(Set(actions).isSubset(of: Set(encrypted.actions)))
    }

    @Test("Redshift Data API: the credentials the call chooses")
    func redshiftData() throws {
        let op = try operation("Redshift Data", "ExecuteStatement")
        func needed(_ parameters: [String: String]) -> [String] { ActionTable.actions(of: op, parameters: parameters).actions }
        #expect(needed(["ClusterIdentifier": "c", "DbUser": "u"]) == ["redshift-data:ExecuteStatement", "redshift:GetClusterCredentials"])
        #expect(needed(["ClusterIdentifier": "c"]) == ["redshift-data:ExecuteStatement", "redshift:GetClusterCredentialsWithIAM"])
        #expect(needed(["ClusterIdentifier": "c", "SecretArn": "arn"]) == ["redshift-data:ExecuteStatement", "secretsmanager:GetSecretValue"])
        #expect(needed(["WorkgroupName": "w"]) == ["redshift-data:ExecuteStatement", "redshift-serverless:GetCredentials"])
        #expect(needed(["WorkgroupName": "w", "SecretArn": "arn"]) == ["redshift-data:ExecuteStatement", "secretsmanager:GetSecretValue"])
        let withIAM = try conditional(op, "redshift:GetClusterCredentialsWithIAM")
        #expect(withIAM.members == ["ClusterIdentifier"])
        #expect(withIAM.absentMembers == ["DbUser", "SecretArn"])
        #expect(withIAM.kind == .parameter)
        #expect(try operation("Redshift Data", "BatchExecuteStatement").conditionalActions == op.conditionalActions)
    }

    @Test("Athena: S3, Glue and Lake Formation depend on the query (service behaviour)")
    func athena() throws {
        let op = try operation("Athena", "StartQueryExecution")
        for action in ["s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:PutObject", "glue:GetDatabase", "glue:GetTable",
                       "glue:GetPartitions", "lakeformation:GetDataAccess"] {
            #expect(try conditional(op, action).kind == .serviceBehaviour)
        }
        // Known parameters do not settle the service's behaviour.
        #expect(ActionTable.actions(of: op, parameters: ["QueryString": ""]).mayAlsoNeed.contains("glue:GetTable"))
    }

    @Test("Lambda CreateFunction: the key, layers and VPC are parameters")
    func lambda() throws {
        let op = try operation("Lambda", "CreateFunction")
        #expect(try conditional(op, "kms:Encrypt").members == ["KMSKeyArn"])
        #expect(try conditional(op, "kms:CreateGrant").members == ["KMSKeyArn"])
        #expect(try conditional(op, "lambda:GetLayerVersion").members == ["Layers"])
        for action in ["ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"] {
            #expect(try conditional(op, action).members == ["VpcConfig"])
        }
        #expect(op.origin(of: "lambda:CreateFunction")?.rule == .name)
        #expect(op.origin(of: "iam:PassRole")?.rule == .role)
        #expect(op.origin(of: "lambda:TagResource")?.rule == .tag)
        #expect(op.origin(of: "lambda:PassCapacityProvider")?.rule == .dependent)
    }

    @Test("DynamoDB transactions: each item's kind needs its action")
    func transactions() throws {
        let op = try operation("DynamoDB", "TransactWriteItems")
        let needed = ActionTable.actions(of: op, parameters: ["TransactItems.Update": "", "TransactItems.ConditionCheck": ""]).actions
        #expect(needed == ["dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"])
        #expect(try conditional(op, "dynamodb:DeleteItem").members == ["TransactItems.Delete"])
        // Mapped by its conditional actions alone: with CSM, each item kind's action is "may also need".
        #expect(op.actions.isEmpty && !op.isUnmapped)
        let unknown = ActionTable.actions(of: op, parameters: nil)
        #expect(unknown.mayAlsoNeed == ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                                        "dynamodb:ConditionCheckItem", "kms:Decrypt"])
        #expect(try operation("DynamoDB", "TransactGetItems").actions == ["dynamodb:GetItem"])
    }

    @Test("S3 CopyObject: source and destination, tags copied from the source, keys of both")
    func copyObject() throws {
        let op = try operation("S3", "CopyObject")
        #expect(op.actions == ["s3:PutObject", "s3:GetObject"])
        #expect(try conditional(op, "s3:GetObjectTagging").kind == .serviceBehaviour)
        #expect(try conditional(op, "s3:PutObjectTagging").members == ["Tagging"])
        // Given Tagging (REPLACE), the tags are the call's: needed. Else the source's tags are copied
        // (COPY, the default): needed when the source has tags, which the call does not show.
        #expect(try conditional(op, "s3:PutObjectTagging").otherwiseDepends)
        let replace = ActionTable.actions(of: op, parameters: ["Bucket": "b", "Key": "k", "CopySource": "s/o", "Tagging": "a=1"])
        #expect(replace.actions.contains("s3:PutObjectTagging"))
        let copy = ActionTable.actions(of: op, parameters: ["Bucket": "b", "Key": "k", "CopySource": "s/o"])
        #expect(!copy.actions.contains("s3:PutObjectTagging"))
        #expect(copy.mayAlsoNeed.contains("s3:PutObjectTagging"))
        #expect(copy.mayAlsoNeed.contains("s3:GetObjectTagging"))
        #expect(try conditional(op, "kms:GenerateDataKey").triggers == ["SSEKMSKeyId", OperationInfo.encryptedTrigger])
        #expect(try conditional(op, "kms:GenerateDataKey").kind == .encryptedResource)
    }

    @Test("Derived actions say which rule put them there")
    func rules() throws {
        #expect(try operation("S3", "ListBuckets").origin(of: "s3:ListAllMyBuckets")?.rule == .override)
        #expect(try operation("DynamoDB", "DescribeTable").origin(of: "dynamodb:DescribeTable")?.rule == .name)
        #expect(try operation("API Gateway", "GetRestApis").origin(of: "apigateway:GET")?.rule == .verb)
        #expect(try operation("DynamoDB", "DescribeTable").source == nil)
        #expect(try operation("DynamoDB", "DescribeTable").origin(of: "s3:GetObject") == nil)
    }
}
