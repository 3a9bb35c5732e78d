@testable import IAMScribeCore
import Testing

/// The capture keeps the members the resource mappings read: headers, query strings, URI labels,
/// body members and query-protocol lists.
@Suite("The decoder keeps the members resource mappings read")
struct ResourceMembersDecodingTests {
    typealias B = PacketBuilder

    private func call(_ request: String) throws -> ObservedCall? {
        try B.decode(B.exchange([(request, B.response(200))])).calls.first
    }

    @Test("S3 CopyObject: x-amz-copy-source, beside the target's bucket and key, path style and virtual-hosted")
    func copySource() throws {
        let path = try #require(try call(B.signedRequest("PUT", "/thumbs/a.jpg", service: "s3", headers: ["x-amz-copy-source: photos/big%20cat.jpg"])))
        #expect(path.operation == "CopyObject")
        #expect(path.parameters?["CopySource"] == "photos/big%20cat.jpg")
        #expect(path.parameters?["Bucket"] == "thumbs" && path.parameters?["Key"] == "a.jpg")
        let virtual = try #require(try call(B.signedRequest("PUT", "/a.jpg", service: "s3", host: "thumbs.s3.amazonaws.com",
                                                            headers: ["x-amz-copy-source: /photos/cat.jpg?versionId=3"])))
        #expect(virtual.parameters?["CopySource"] == "/photos/cat.jpg?versionId=3")
        #expect(virtual.parameters?["Bucket"] == "thumbs")
    }

    @Test("Lambda Invoke: the Qualifier query string; DynamoDB Query: IndexName in the body")
    func qualifierAndIndex() throws {
        let invoke = try #require(try call(B.signedRequest("POST", "/2015-03-31/functions/app/invocations?Qualifier=live", service: "lambda", body: "{}")))
        #expect(invoke.parameters?["FunctionName"] == "app")
        #expect(invoke.parameters?["Qualifier"] == "live")
        let query = try #require(try call(B.signedRequest("POST", "/", service: "dynamodb", headers: ["X-Amz-Target: DynamoDB_20120810.Query"],
                                                          body: #"{"TableName":"users","IndexName":"byEmail","KeyConditionExpression":"e = :e"}"#)))
        #expect(query.parameters?["TableName"] == "users")
        #expect(query.parameters?["IndexName"] == "byEmail")
    }

    @Test("EC2 query lists: one id is the member's value; several leave it without one")
    func ec2Lists() throws {
        let one = try #require(try call(B.signedRequest("POST", "/", service: "ec2", body: "Action=StartInstances&Version=2016-11-15&InstanceId.1=i-0abc")))
        #expect(one.parameters?["InstanceIds"] == "i-0abc")
        let two = try #require(try call(B.signedRequest("POST", "/", service: "ec2", body: "Action=StopInstances&Version=2016-11-15&InstanceId.1=i-1&InstanceId.2=i-2")))
        #expect(two.parameters?["InstanceIds"] == "")
        var builder = PolicyBuilder(options: .init(resources: .init(account: "123456789012")))
        builder.add(one)
        builder.add(two)
        #expect(builder.document.statements.map(\.resources) == [
            ["arn:aws:ec2:eu-west-1:123456789012:instance/*"], ["arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc"],
        ])
    }
}
