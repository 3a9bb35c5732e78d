import Testing
@testable import IAMScribeCore

@Suite("Action table")
struct ActionTableTests {
    let table = ActionTable.bundled

    func actions(_ service: String, _ operation: String, parameters: [String: String]? = nil) throws -> CallPermissions {
        try table.permissions(service: service, operation: operation, parameters: parameters).get()
    }

    @Test("S3 operations map to the actions that guard them", arguments: [
        ("ListObjectsV2", ["s3:ListBucket"]),
        ("ListObjects", ["s3:ListBucket"]),
        ("HeadObject", ["s3:GetObject"]),
        ("HeadBucket", ["s3:ListBucket"]),
        ("CreateMultipartUpload", ["s3:PutObject"]),
        ("UploadPart", ["s3:PutObject"]),
        ("CompleteMultipartUpload", ["s3:PutObject"]),
        ("AbortMultipartUpload", ["s3:AbortMultipartUpload"]),
        ("ListParts", ["s3:ListMultipartUploadParts"]),
        ("DeleteObjects", ["s3:DeleteObject"]),
        ("CopyObject", ["s3:PutObject", "s3:GetObject"]),
        ("UploadPartCopy", ["s3:PutObject", "s3:GetObject"]),
        ("ListBuckets", ["s3:ListAllMyBuckets"]),
        ("GetBucketNotificationConfiguration", ["s3:GetBucketNotification"]),
        ("DeleteBucketCors", ["s3:PutBucketCORS"]),
        ("GetPublicAccessBlock", ["s3:GetBucketPublicAccessBlock"]),
        ("PutBucketLifecycleConfiguration", ["s3:PutLifecycleConfiguration"]),
        ("GetObject", ["s3:GetObject"]),
    ])
    func s3(operation: String, expected: [String]) throws {
        #expect(try actions("S3", operation).actions == expected)
    }

    @Test("Every S3 operation is mapped to documented actions")
    func everyS3OperationMapped() throws {
        let s3 = try #require(table.service(named: "s3"))
        let operations = table.operations(of: s3)
        #expect(operations.count > 100)
        for operation in operations {
            #expect(!operation.isUnmapped, "\(operation.name) is unmapped")
            for action in operation.actions {
                #expect(table.canonicalAction(action) == action, "\(operation.name): \(action) is not documented")
            }
        }
    }

    @Test("API Gateway management calls need the HTTP verb's action", arguments: [
        ("API Gateway", "GetRestApis", "apigateway:GET"),
        ("apigateway", "CreateRestApi", "apigateway:POST"),
        ("apigateway", "PutRestApi", "apigateway:PUT"),
        ("apigateway", "UpdateRestApi", "apigateway:PATCH"),
        ("apigateway", "DeleteRestApi", "apigateway:DELETE"),
        ("ApiGatewayV2", "CreateApi", "apigateway:POST"),
        ("apigatewayv2", "GetApis", "apigateway:GET"),
        ("apigatewayv2", "UpdateApi", "apigateway:PATCH"),
        ("apigatewayv2", "DeleteApi", "apigateway:DELETE"),
        ("ApiGatewayManagementApi", "PostToConnection", "execute-api:ManageConnections"),
    ])
    func apiGateway(service: String, operation: String, expected: String) throws {
        #expect(try actions(service, operation).actions == [expected])
    }

    @Test("Lambda Invoke needs lambda:InvokeFunction")
    func lambdaInvoke() throws {
        #expect(try actions("Lambda", "Invoke").actions == ["lambda:InvokeFunction"])
        #expect(try actions("lambda", "InvokeWithResponseStream").actions == ["lambda:InvokeFunction"])
        #expect(try actions("lambda", "ListFunctions").actions == ["lambda:ListFunctions"])
    }

    @Test("A required role member always needs iam:PassRole")
    func passRoleRequired() throws {
        let permissions = try actions("Lambda", "CreateFunction")
        #expect(permissions.actions == ["lambda:CreateFunction", "iam:PassRole"])
        let role = permissions.operation.resourceMembers.first { $0.isRole }
        #expect(role?.name == "Role")
    }

    @Test("An optional role member needs iam:PassRole only when given")
    func passRoleOptional() throws {
        let unknown = try actions("CloudFormation", "CreateStack")
        #expect(unknown.actions == ["cloudformation:CreateStack"])
        #expect(unknown.mayAlsoNeed.contains("iam:PassRole"))

        let withRole = try actions("CloudFormation", "CreateStack", parameters: ["StackName": "s", "RoleARN": "arn:aws:iam::1:role/r"])
        #expect(withRole.actions == ["cloudformation:CreateStack", "iam:PassRole"])

        let withoutRole = try actions("CloudFormation", "CreateStack", parameters: ["StackName": "s"])
        #expect(withoutRole.actions == ["cloudformation:CreateStack"])
        #expect(!withoutRole.mayAlsoNeed.contains("iam:PassRole"))
    }

    @Test("Roles that are the subject of a call are not passed")
    func passRoleNotForSubjects() throws {
        #expect(try actions("STS", "AssumeRole").actions == ["sts:AssumeRole"])
        #expect(try actions("IAM", "CreateRole").actions == ["iam:CreateRole"])
        #expect(try actions("IAM", "CreateRole").mayAlsoNeed == ["iam:TagRole"])
    }

    @Test("Tags on create are granted when the call carries tags")
    func tagOnCreate() throws {
        #expect(try actions("IAM", "CreateRole", parameters: ["RoleName": "r", "Tags": "1"]).actions == ["iam:CreateRole", "iam:TagRole"])
        #expect(try actions("SQS", "CreateQueue", parameters: ["QueueName": "q", "tags": "1"]).actions == ["sqs:CreateQueue", "sqs:TagQueue"])
        #expect(try actions("EC2", "RunInstances").mayAlsoNeed.contains("ec2:CreateTags"))
    }

    @Test("Permissionless calls are marked and grant nothing", arguments: [
        ("STS", "GetCallerIdentity"), ("sts", "AssumeRoleWithWebIdentity"), ("SSO OIDC", "CreateToken"),
        ("Cognito Identity", "GetId"),
    ])
    func permissionless(service: String, operation: String) throws {
        let permissions = try actions(service, operation)
        #expect(permissions.isPermissionless)
        #expect(permissions.actions.isEmpty)
    }

    @Test("Service and operation names match case-insensitively", arguments: [
        "S3", "s3", "API Gateway", "api gateway", "APIGATEWAY", "ApiGateway", "DynamoDB", "dynamodb",
        "CloudWatch Logs", "logs", "CloudWatchLogs", "monitoring", "CloudWatch", "sqs", "SQS",
    ])
    func caseInsensitiveServices(name: String) throws {
        #expect(table.service(named: name) != nil, "\(name)")
    }

    @Test("Names resolve to the right service")
    func namesResolve() throws {
        #expect(table.service(named: "CloudWatch Logs")?.iamPrefix == "logs")
        #expect(table.service(named: "monitoring")?.iamPrefix == "cloudwatch")
        #expect(table.service(named: "api gateway")?.module == "apigateway")
        #expect(try actions("s3", "listobjectsv2").operation.name == "ListObjectsV2")
        #expect(try actions("DYNAMODB", "getITEM").actions == ["dynamodb:GetItem"])
    }

    @Test("Unknown names fail with the closest known names")
    func unknownNames() {
        guard case .failure(.unknownService(_, let suggestions)) = table.permissions(service: "dynamo", operation: "GetItem") else {
            Issue.record("expected an unknown service")
            return
        }
        #expect(suggestions.contains("dynamodb") || suggestions.contains("DynamoDB"))
        guard case .failure(.unknownOperation(_, _, let operations)) = table.permissions(service: "S3", operation: "GetObjekt") else {
            Issue.record("expected an unknown operation")
            return
        }
        #expect(operations.first == "GetObject")
    }

    @Test("The table covers botocore and maps at least 99% of operations")
    func statistics() {
        let stats = table.statistics
        #expect(stats.operations >= 18_000)
        #expect(Double(stats.unmapped) <= Double(stats.operations) * 0.01, "unmapped: \(stats.unmapped)")
        #expect(stats.inputs.contains { $0.hasPrefix("botocore==") })
    }

    @Test("Every action the table emits exists in the IAM data or is marked undocumented")
    func everyActionDocumented() {
        var bad: [String] = []
        for service in table.services {
            for operation in table.operations(of: service) {
                let all = operation.actions + operation.conditionalActions.map(\.action)
                for action in all where table.canonicalAction(action) == nil {
                    bad.append("\(service.module).\(operation.name): \(action)")
                }
            }
        }
        #expect(bad.isEmpty, "\(bad.prefix(20))")
    }

    @Test("Secrets are never kept as resource members")
    func noSecretMembers() throws {
        let getObject = try actions("S3", "GetObject").operation
        #expect(!getObject.resourceMembers.contains { $0.name.contains("SSECustomerKey") })
        #expect(getObject.resourceMembers.map(\.name).starts(with: ["Bucket", "Key"]))
    }
}
