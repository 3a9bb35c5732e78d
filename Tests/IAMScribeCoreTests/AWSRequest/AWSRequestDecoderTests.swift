import Foundation
@testable import IAMScribeCore
import Testing

@Suite("AWS request decoding: services, operations and parameters by protocol")
struct AWSRequestDecoderTests {
    typealias B = PacketBuilder

    /// Decodes one request (answered 200) and returns its call.
    private func call(_ request: String) throws -> ObservedCall? {
        try B.decode(B.exchange([(request, B.response(200))])).calls.first
    }

    @Test("S3 operations that share a method and path: the copy source and upload id tell them apart")
    func s3SharedTemplates() throws {
        #expect(try call(B.signedRequest("PUT", "/b/k", service: "s3", body: "x"))?.operation == "PutObject")
        #expect(try call(B.signedRequest("PUT", "/b/k", service: "s3", headers: ["x-amz-copy-source: /a/b"]))?.operation == "CopyObject")
        #expect(try call(B.signedRequest("PUT", "/b/k?partNumber=1&uploadId=u", service: "s3", body: "x"))?.operation == "UploadPart")
        #expect(try call(B.signedRequest("PUT", "/b/k?partNumber=1&uploadId=u", service: "s3", headers: ["x-amz-copy-source: /a/b"]))?.operation
                == "UploadPartCopy")
        #expect(try call(B.signedRequest("GET", "/b/k?uploadId=u", service: "s3"))?.operation == "ListParts")
    }

    @Test("S3 path style and virtual-hosted style (AWS host, and absolute-form through a proxy)")
    func s3Addressing() throws {
        let path = try #require(try call(B.signedRequest("GET", "/bucket.with.dots/a/b%2Fc.txt?versionId=3", service: "s3")))
        #expect(path.operation == "GetObject")
        #expect(path.parameters == ["Bucket": "bucket.with.dots", "Key": "a/b/c.txt", "VersionId": "3"])

        let virtual = try #require(try call(B.signedRequest("GET", "/a/b.txt?acl", service: "s3",
                                                            host: "my.logs.bucket.s3.us-west-2.amazonaws.com")))
        #expect(virtual.operation == "GetObjectAcl")
        #expect(virtual.parameters?["Bucket"] == "my.logs.bucket")
        #expect(virtual.parameters?["Key"] == "a/b.txt")

        let proxied = try #require(try call(B.signedRequest("GET", "http://vb.s3.amazonaws.com/?list-type=2", service: "s3",
                                                            host: "vb.s3.amazonaws.com")))
        #expect(proxied.operation == "ListObjectsV2")
        #expect(proxied.parameters?["Bucket"] == "vb")

        let listBuckets = try #require(try call(B.signedRequest("GET", "/", service: "s3", host: "s3.amazonaws.com")))
        #expect(listBuckets.operation == "ListBuckets")
        let deleteObject = try #require(try call(B.signedRequest("DELETE", "/b/k", service: "s3")))
        #expect(deleteObject.operation == "DeleteObject")
        let abort = try #require(try call(B.signedRequest("DELETE", "/b/k?uploadId=9", service: "s3")))
        #expect(abort.operation == "AbortMultipartUpload")
    }

    @Test("A presigned URL names the service, region and key id; its signature is not kept")
    func presigned() throws {
        let request = "GET /bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAPRESIGNED1234%2F20240101%2Fap-south-1%2Fs3%2Faws4_request&X-Amz-Signature=abc123&X-Amz-Security-Token=TOKEN HTTP/1.1\r\nHost: example.test\r\n\r\n"
        let decoded = try #require(try call(request))
        #expect(decoded.operation == "GetObject")
        #expect(decoded.region == "ap-south-1")
        #expect(decoded.accessKeyID?.value == "AKIAPRESIGNED1234")
        #expect(!"\(decoded.parameters ?? [:])".contains("abc123"))
        #expect(!"\(decoded.parameters ?? [:])".contains("TOKEN"))
    }

    @Test("Query protocol: Action in the form body, list members as triggers (EC2's singular names)")
    func query() throws {
        let role = try #require(try call(B.signedRequest("POST", "/", service: "iam", headers: ["Content-Type: application/x-www-form-urlencoded"],
                                                         body: "Action=CreateRole&Version=2010-05-08&RoleName=app%2Brole&Tags.member.1.Key=k&AssumeRolePolicyDocument=%7B%7D")))
        #expect(role.service == "iam")
        #expect(role.operation == "CreateRole")
        #expect(role.parameters?["RoleName"] == "app+role")
        #expect(role.parameters?["Tags"] == "")
        let permissions = try ActionTable.bundled.permissions(service: role.service, operation: role.operation, parameters: role.parameters).get()
        #expect(permissions.actions == ["iam:CreateRole", "iam:TagRole"])

        let vpc = try #require(try call(B.signedRequest("POST", "/", service: "ec2", body: "Action=CreateVpc&CidrBlock=10.0.0.0%2F16&TagSpecification.1.ResourceType=vpc")))
        #expect(vpc.operation == "CreateVpc")
        #expect(vpc.parameters?["TagSpecifications"] == "")

        let untagged = try #require(try call(B.signedRequest("POST", "/", service: "ec2", body: "Action=CreateVpc&CidrBlock=10.0.0.0%2F16")))
        #expect(untagged.parameters?["TagSpecifications"] == nil)
        #expect(untagged.parameters != nil)

        let get = try #require(try call(B.signedRequest("GET", "/?Action=GetCallerIdentity&Version=2011-06-15", service: "sts")))
        #expect(get.operation == "GetCallerIdentity")
    }

    @Test("JSON protocol: X-Amz-Target, body members; services told apart by target prefix")
    func json() throws {
        let queue = try #require(try call(B.signedRequest("POST", "/", service: "sqs", headers: ["X-Amz-Target: AmazonSQS.CreateQueue"],
                                                          body: #"{"QueueName":"q\u002d1","tags":{"a":"b"}}"#)))
        #expect(queue.operation == "CreateQueue")
        #expect(queue.parameters == ["QueueName": "q-1", "tags": ""])
        let stream = try #require(try call(B.signedRequest("POST", "/", service: "dynamodb",
                                                           headers: ["X-Amz-Target: DynamoDBStreams_20120810.ListStreams"], body: "{}")))
        #expect(stream.service == "dynamodbstreams")
    }

    @Test("REST-JSON: method and path templates, with labels")
    func restJSON() throws {
        let invoke = try #require(try call(B.signedRequest("POST", "/2015-03-31/functions/my-function/invocations", service: "lambda", body: "{}")))
        #expect(invoke.operation == "Invoke")
        #expect(invoke.parameters?["FunctionName"] == "my-function")
        let create = try #require(try call(B.signedRequest("POST", "/2015-03-31/functions", service: "lambda",
                                                           headers: ["Content-Type: application/json"],
                                                           body: #"{"FunctionName":"f","Role":"arn:aws:iam::1:role/r","Code":{"ZipFile":"AAAA"}}"#)))
        #expect(create.operation == "CreateFunction")
        #expect(create.parameters?["Role"] == "arn:aws:iam::1:role/r")
        #expect(create.parameters?["Tags"] == nil)
    }

    @Test("Smithy RPC v2 CBOR: the operation from the path, members from the CBOR map")
    func cbor() throws {
        // {"AlarmNames": ["a"], "Name": "x"} is not needed: a map with one text member.
        let body: [UInt8] = [0xA1, 0x69] + Array("AlarmName".utf8) + [0x65] + Array("alarm".utf8)
        let head = B.signedRequest("POST", "/service/GraniteServiceVersion20100801/operation/PutMetricAlarm", service: "monitoring",
                                   host: "monitoring.us-east-1.amazonaws.com", headers: ["Smithy-Protocol: rpc-v2-cbor"])
            .replacingOccurrences(of: "Content-Length: 0", with: "Content-Length: \(body.count)")
        let packets = [B.tcpPacket(.client4, .server4, sequence: 1, payload: Array(head.utf8) + body),
                       B.tcpPacket(.server4, .client4, sequence: 1, payload: Array(B.response(200).utf8))]
        let decoded = try #require(try B.decode(packets).calls.first)
        #expect(decoded.service == "cloudwatch")
        #expect(decoded.operation == "PutMetricAlarm")
        #expect(decoded.parameters?["AlarmName"] == "alarm")
    }

    @Test("Unsigned requests: service from an AWS host name; else not an AWS call")
    func unsigned() throws {
        let byHost = try #require(try call("GET /?Action=DescribeRegions HTTP/1.1\r\nHost: ec2.eu-north-1.amazonaws.com\r\n\r\n"))
        #expect(byHost.service == "ec2")
        #expect(byHost.region == "eu-north-1")
        let (calls, statistics) = try B.decode(B.exchange([("GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n", B.response(200))]))
        #expect(calls.isEmpty)
        #expect(statistics.unidentifiedRequests == 1)
    }

    @Test("Host names")
    func hostNames() {
        let known: Set<String> = ["s3", "dynamodb", "s3-control", "logs"]
        func parse(_ host: String) -> AWSHostName? { AWSHostName(host, isEndpointPrefix: known.contains) }
        #expect(parse("dynamodb.us-east-1.amazonaws.com") == AWSHostName.make("dynamodb", "us-east-1", nil))
        #expect(parse("b.s3-us-west-2.amazonaws.com:443") == AWSHostName.make("s3", "us-west-2", "b"))
        #expect(parse("b.s3.dualstack.eu-west-1.amazonaws.com") == AWSHostName.make("s3", "eu-west-1", "b"))
        #expect(parse("123456789012.s3-control.us-east-1.amazonaws.com") == AWSHostName.make("s3-control", "us-east-1", "123456789012"))
        #expect(parse("dynamodb-fips.us-gov-west-1.amazonaws.com") == AWSHostName.make("dynamodb", "us-gov-west-1", nil))
        #expect(parse("logs.example.com") == nil)
        #expect(parse("127.0.0.1:5000") == nil)
    }
}

extension AWSHostName {
    static func make(_ prefix: String, _ region: String?, _ leading: String?) -> AWSHostName? {
        let labels = [leading, prefix, region].compactMap { $0 }.joined(separator: ".")
        return AWSHostName("\(labels).amazonaws.com", isEndpointPrefix: { $0 == prefix })
    }
}
