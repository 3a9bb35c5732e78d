import Foundation
@testable import IAMScribeCore
import Testing

/// Role hand-off (`iam:PassRole`) at any depth: the generator's rule, its exceptions, and how a
/// captured call's parameters settle a conditional hand-off.
@Suite("Action table: role hand-off (iam:PassRole)")
struct PassRoleTests {
    let table = ActionTable.bundled

    func permissions(_ service: String, _ operation: String, _ parameters: [String: String]? = nil) throws -> CallPermissions {
        try table.permissions(service: service, operation: operation, parameters: parameters).get()
    }

    @Test("A required role member, top level, means iam:PassRole always", arguments: [
        ("Lambda", "CreateFunction", "Role"), ("CloudWatch Logs", "PutDestination", "roleArn"),
        ("SFN", "CreateStateMachine", "roleArn"), ("CodePipeline", "CreatePipeline", "pipeline.roleArn"),
    ])
    func always(service: String, operation: String, path: String) throws {
        let found = try permissions(service, operation)
        #expect(found.actions.contains("iam:PassRole"))
        #expect(!found.mayAlsoNeed.contains("iam:PassRole"))
        #expect(found.operation.passRole == .always)
        #expect(found.operation.roleHandOffs.contains { $0.path == path && $0.requirement == .always })
    }

    @Test("A role inside an optional member is conditional on the outermost optional member")
    func nested() throws {
        let pipeline = try permissions("CodePipeline", "CreatePipeline").operation
        #expect(pipeline.roleHandOffs.contains {
            $0.path == "pipeline.stages[].actions[].roleArn" && $0.requirement == .when("pipeline.stages.actions.roleArn")
        })
        let rule = try permissions("IoT", "CreateTopicRule")
        #expect(rule.actions == ["iot:CreateTopicRule"])
        #expect(rule.mayAlsoNeed.contains("iam:PassRole"))
        #expect(rule.operation.roleHandOffs.contains {
            $0.path == "topicRulePayload.actions[].lambda.functionArn" } == false)
        #expect(rule.operation.roleHandOffs.contains {
            $0.path == "topicRulePayload.actions[].sqs.roleArn" && $0.requirement == .when("topicRulePayload.actions.sqs")
        })
        let service = try permissions("ECS", "CreateService").operation
        #expect(service.roleHandOffs.contains { $0.path == "role" && $0.requirement == .when("role") })
    }

    @Test("Instance profiles pass the role they hold")
    func instanceProfiles() throws {
        for (service, operation, path) in [("EC2", "RunInstances", "IamInstanceProfile"),
                                           ("Auto Scaling", "CreateLaunchConfiguration", "IamInstanceProfile"),
                                           ("EC2", "CreateLaunchTemplate", "LaunchTemplateData.IamInstanceProfile")] {
            let found = try permissions(service, operation)
            #expect(found.mayAlsoNeed.contains("iam:PassRole"), "\(service) \(operation)")
            #expect(found.operation.roleHandOffs == [.init(path: path, kind: .instanceProfile, requirement: .when(path))])
        }
        let launched = try permissions("EC2", "RunInstances", ["IamInstanceProfile": ""])
        #expect(launched.actions.contains("iam:PassRole"))
        let plain = try permissions("EC2", "RunInstances", ["ImageId": "ami-1"])
        #expect(!plain.actions.contains("iam:PassRole") && !plain.mayAlsoNeed.contains("iam:PassRole"))
    }

    @Test("Roles in SNS attribute maps come from the overrides")
    func attributeMaps() throws {
        let topic = try permissions("SNS", "CreateTopic")
        #expect(topic.operation.roleHandOffs.map(\.path) == ["Attributes.*FeedbackRoleArn"])
        #expect(topic.operation.roleHandOffs.first?.kind == .attribute)
        // The capture keeps which attributes a call sets (their names), not merely that it sets some.
        #expect(try permissions("SNS", "CreateTopic", ["Name": "t", "Attributes.LambdaSuccessFeedbackRoleArn": ""]).actions
                == ["sns:CreateTopic", "iam:PassRole"])
        #expect(try permissions("SNS", "CreateTopic", ["Name": "t", "Attributes": ""]).actions == ["sns:CreateTopic"])
        #expect(try permissions("SNS", "CreateTopic", ["Name": "t"]).actions == ["sns:CreateTopic"])
        // Which attribute is set is a value: a value trigger on AttributeName.
        let set = try permissions("SNS", "SetTopicAttributes", ["TopicArn": "a", "AttributeName": "lambdaSuccessFeedbackRoleArn"])
        #expect(set.actions == ["sns:SetTopicAttributes", "iam:PassRole"])
        let other = try permissions("SNS", "SetTopicAttributes", ["TopicArn": "a", "AttributeName": "DisplayName"])
        #expect(other.actions == ["sns:SetTopicAttributes"])
        #expect(other.mayAlsoNeed.isEmpty)
        #expect(try permissions("SNS", "SetTopicAttributes").mayAlsoNeed == ["iam:PassRole"])
        #expect(try permissions("SNS", "SetPlatformApplicationAttributes").operation.passRole == .undetermined)
        #expect(try permissions("SNS", "Subscribe").operation.passRole == .when("Attributes.SubscriptionRoleArn"))
        // SQS keeps no role in its attributes.
        #expect(try permissions("SQS", "CreateQueue").operation.passRole == nil)
    }

    @Test("Members that name roles without handing them over need no iam:PassRole", arguments: [
        ("Organizations", "CreateAccount"), ("STS", "AssumeRole"), ("IAM", "CreateRole"), ("IoT", "DescribeAuditSuppression"),
        ("Chime", "BatchCreateRoomMembership"), ("DMS", "CreateInstanceProfile"), ("Redshift", "DescribeClusters"),
    ])
    func notHandedOver(service: String, operation: String) throws {
        let found = try permissions(service, operation)
        #expect(!found.actions.contains("iam:PassRole") && !found.mayAlsoNeed.contains("iam:PassRole"))
        #expect(found.operation.roleHandOffs.isEmpty)
    }

    @Test("CloudFormation's own RoleARN is a role hand-off; StackSets' ExecutionRoleName is not")
    func cloudFormation() throws {
        #expect(try permissions("CloudFormation", "CreateStack").operation.roleHandOffs.map(\.path) == ["RoleARN"])
        #expect(try permissions("CloudFormation", "CreateStackSet").operation.roleHandOffs.map(\.path) == ["AdministrationRoleARN"])
    }

    @Test("The table counts and lists the operations that hand a role over")
    func statistics() {
        let stats = table.statistics
        #expect(stats.passRoleAlways == 303)
        #expect(stats.passRoleConditional == 542)
        let listed = table.passRoleOperations
        #expect(listed.count == 845)
        #expect(listed.filter { $0.requirement == .always }.count == 303)
        #expect(listed.allSatisfy { $0.operation.passRole != nil })
    }

    @Test("A captured call whose top-level member holds a nested role gets iam:PassRole in the policy")
    func capturedNestedRole() throws {
        let decoder = AWSRequestDecoder()
        let time = Date(timeIntervalSince1970: 1_700_000_000)
        func exchange(_ target: String, _ body: String) -> HTTPExchange {
            let authorization = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/eu-west-1/ecs/aws4_request, SignedHeaders=host, Signature=ab"
            return HTTPExchange(
                method: "POST", target: "/",
                headers: [("Host", "ecs.eu-west-1.amazonaws.com"), ("authorization", authorization),
                          ("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.\(target)"),
                          ("Content-Type", "application/x-amz-json-1.1")],
                body: Array(body.utf8), time: time, response: .init(status: 200, headers: []))
        }
        let withRole = try decoder.decode(exchange("CreateService", #"{"serviceName":"web","loadBalancers":[{"targetGroupArn":"arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/t/1","advancedConfiguration":{"roleArn":"arn:aws:iam::1:role/lb"}}]}"#)).get()
        let without = try decoder.decode(exchange("CreateService", #"{"serviceName":"web"}"#)).get()
        #expect(without.parameters != nil)
        var builder = PolicyBuilder()
        builder.add(without)
        #expect(builder.actions == ["ecs:CreateService"])
        builder.add(withRole)
        #expect(builder.actions.contains("iam:PassRole"))

        // A rest-json payload: the role sits in one kind of topic rule action, not in another.
        func topicRule(_ body: String) throws -> ObservedCall {
            try decoder.decode(HTTPExchange(
                method: "POST", target: "/rules/r1",
                headers: [("Host", "iot.eu-west-1.amazonaws.com"),
                          ("authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/eu-west-1/iot/aws4_request, SignedHeaders=host, Signature=ab"),
                          ("Content-Type", "application/json")],
                body: Array(body.utf8), time: time, response: .init(status: 200, headers: []))).get()
        }
        let toLambda = try topicRule(#"{"sql":"SELECT * FROM 't'","actions":[{"lambda":{"functionArn":"arn:aws:lambda:eu-west-1:1:function:f"}}]}"#)
        let toSQS = try topicRule(#"{"sql":"SELECT * FROM 't'","actions":[{"sqs":{"queueUrl":"https://q","roleArn":"arn:aws:iam::1:role/r"}}]}"#)
        #expect(toSQS.operation == "CreateTopicRule")
        #expect(toLambda.parameters != nil, "the body was read: its parameters are known")
        var iot = PolicyBuilder()
        iot.add(toLambda)
        #expect(iot.actions == ["iot:CreateTopicRule"])
        iot.add(toSQS)
        #expect(iot.actions == ["iam:PassRole", "iot:CreateTopicRule"])

        // A dotted trigger inside a query-protocol form: EC2 CreateLaunchTemplate.
        let form = "Action=CreateLaunchTemplate&Version=2016-11-15&LaunchTemplateName=t&LaunchTemplateData.ImageId=ami-1&LaunchTemplateData.IamInstanceProfile.Arn=arn%3Aaws%3Aiam%3A%3A1%3Ainstance-profile%2Fp"
        let template = try decoder.decode(HTTPExchange(
            method: "POST", target: "/",
            headers: [("Host", "ec2.eu-west-1.amazonaws.com"),
                      ("authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/eu-west-1/ec2/aws4_request, SignedHeaders=host, Signature=ab"),
                      ("Content-Type", "application/x-www-form-urlencoded")],
            body: Array(form.utf8), time: time, response: .init(status: 200, headers: []))).get()
        #expect(template.operation == "CreateLaunchTemplate")
        #expect(template.parameters?["LaunchTemplateData.IamInstanceProfile"] != nil)
        var ec2 = PolicyBuilder()
        ec2.add(template)
        #expect(ec2.actions.contains("iam:PassRole"))

        // A value trigger in a query-protocol form: SNS SetTopicAttributes.
        func setAttribute(_ name: String) throws -> ObservedCall {
            let body = "Action=SetTopicAttributes&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aeu-west-1%3A1%3At&AttributeName=\(name)&AttributeValue=v"
            return try decoder.decode(HTTPExchange(
                method: "POST", target: "/",
                headers: [("Host", "sns.eu-west-1.amazonaws.com"),
                          ("authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/eu-west-1/sns/aws4_request, SignedHeaders=host, Signature=ab"),
                          ("Content-Type", "application/x-www-form-urlencoded")],
                body: Array(body.utf8), time: time, response: .init(status: 200, headers: []))).get()
        }
        var sns = PolicyBuilder()
        sns.add(try setAttribute("DisplayName"))
        #expect(sns.actions == ["sns:SetTopicAttributes"])
        #expect(sns.notes.mayAlsoNeed.isEmpty)
        sns.add(try setAttribute("SQSFailureFeedbackRoleArn"))
        #expect(sns.actions == ["iam:PassRole", "sns:SetTopicAttributes"])
    }
}
