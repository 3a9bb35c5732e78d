import Foundation
import Testing
@testable import IAMScribeCore

@Suite("Request resolver: resources from ARN templates and parameters")
struct RequestResolverTests {
    let resolver = RequestResolver()

    @Test("S3 Bucket and Key make the object's ARN")
    func s3Object() {
        let (resources, scope) = resolver.resources(for: "s3:GetObject", parameters: ["Bucket": "photos", "Key": "2026/cat.jpg"], region: "eu-west-1")
        #expect(resources.map(\.description) == ["arn:aws:s3:::photos/2026/cat.jpg"])
        #expect(scope == .allOf)
        #expect(resources[0].knownText == "arn:aws:s3:::photos/2026/cat.jpg")
    }

    @Test("Without parameters (CSM) the resource is unknown: one of the action's resource types")
    func csm() {
        let (resources, scope) = resolver.resources(for: "s3:GetObject", parameters: nil, region: "us-east-1")
        #expect(scope == .oneOf)
        #expect(resources.map(\.description).sorted() == [
            "arn:aws:s3:::${BucketName}/${ObjectName}",
            "arn:aws:s3:us-east-1:${Account}:accesspoint/${AccessPointName}/object/${ObjectName}",
        ])
        #expect(resources.allSatisfy { $0.knownText == nil })
    }

    @Test("Partition from the region; the account stays unknown unless given")
    func partition() {
        let china = resolver.resources(for: "dynamodb:GetItem", parameters: ["TableName": "users"], region: "cn-north-1").resources
        #expect(china.map(\.description) == ["arn:aws-cn:dynamodb:cn-north-1:${Account}:table/users"])
        let gov = RequestResolver(account: "123456789012").resources(for: "dynamodb:GetItem", parameters: ["TableName": "users"], region: "us-gov-west-1").resources
        #expect(gov.map(\.description) == ["arn:aws-us-gov:dynamodb:us-gov-west-1:123456789012:table/users"])
    }

    @Test("A queue URL gives the queue's name and its account")
    func queueURL() {
        let (resources, _) = resolver.resources(
            for: "sqs:SendMessage", parameters: ["QueueUrl": "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs"], region: "eu-west-1")
        #expect(resources.map(\.description) == ["arn:aws:sqs:eu-west-1:123456789012:jobs"])
    }

    @Test("A parameter that is an ARN is the resource; SSM parameter names lose their leading slash")
    func arnParameter() {
        let function = resolver.resources(for: "lambda:InvokeFunction",
                                          parameters: ["FunctionName": "arn:aws:lambda:eu-west-1:123456789012:function:app"], region: "eu-west-1")
        #expect(function.resources.map(\.description) == ["arn:aws:lambda:eu-west-1:123456789012:function:app"])
        let parameter = resolver.resources(for: "ssm:GetParameter", parameters: ["Name": "/app/db/password"], region: "eu-west-1")
        #expect(parameter.resources.map(\.description) == ["arn:aws:ssm:eu-west-1:${Account}:parameter/app/db/password"])
    }

    @Test("Actions without resource types act on *; several required types must all be allowed")
    func resourceTypes() {
        #expect(resolver.resources(for: "s3:ListAllMyBuckets", parameters: nil, region: "us-east-1").resources == [.any])
        let run = resolver.resources(for: "ec2:RunInstances", parameters: nil, region: "us-east-1")
        #expect(run.scope == .allOf)
        #expect(run.resources.count >= 4)
        #expect(run.resources.contains { $0.description.hasPrefix("arn:aws:ec2:us-east-1:${Account}:instance/") })
    }

    @Test("A call resolves to one request per action, in the call's context")
    func call() throws {
        let call = ObservedCall(source: .csm, time: Date(timeIntervalSince1970: 1_800_000_000), service: "Lambda",
                                operation: "CreateFunction", region: "eu-west-1")
        guard case .requests(let requests, _) = resolver.resolve(call) else {
            Issue.record("expected requests")
            return
        }
        #expect(requests.map(\.action) == ["lambda:CreateFunction", "iam:PassRole"])
        #expect(requests[0].context.value(of: "aws:requestedregion") == .present(["eu-west-1"]))
        #expect(requests[0].context.value(of: "aws:EpochTime") == .present(["1800000000"]))
        #expect(requests[0].context.value(of: "aws:SourceIp") == .unknown)
        let permissionless = ObservedCall(source: .csm, time: Date(), service: "STS", operation: "GetCallerIdentity")
        guard case .notEvaluated(.permissionless(let permissions)) = resolver.resolve(permissionless),
              permissions.actionStyleName == "sts:GetCallerIdentity" else {
            Issue.record("expected permissionless")
            return
        }
    }
}
