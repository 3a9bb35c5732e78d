import Foundation
@testable import IAMScribeCore
import Testing
import TestSupport

/// The AWS request stage fed HTTP exchanges directly, as a proxy will feed it: the calls are the
/// ones the capture path makes of the same bytes.
@Suite("AWS request stage: an HTTP exchange in, the capture path's call out")
struct AWSRequestStageTests {
    typealias B = PacketBuilder

    /// The calls the capture path makes of some records (HTTP ones only: the fixture also
    /// carries CSM datagrams).
    private static func capturePath(_ records: [HTTPExchangeExtractor.Record], linkType: Int32 = 1) throws -> [ObservedCall] {
        let pipeline = try PacketPipeline(linkType: linkType)
        for record in records {
            record.bytes.withUnsafeBytes { pipeline.process($0, wireLength: record.bytes.count, time: record.time) }
        }
        pipeline.finish()
        return pipeline.takeCalls().filter { $0.source == .pcap }
    }

    /// The calls the stage makes of the same records, cut into exchanges without the capture.
    private static func stage(_ records: [HTTPExchangeExtractor.Record]) -> (calls: [ObservedCall], failures: Int) {
        let decoder = AWSRequestDecoder()
        var calls: [ObservedCall] = []
        var failures = 0
        for exchange in HTTPExchangeExtractor.exchanges(records) {
            switch decoder.decode(exchange) {
            case .success(let call): calls.append(call)
            case .failure: failures += 1
            }
        }
        return (calls, failures)
    }

    /// Calls in an order that does not depend on which path made them, each as its JSON text.
    private static func canonical(_ calls: [ObservedCall]) throws -> [String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try calls.map { String(decoding: try encoder.encode($0), as: UTF8.self) }.sorted()
    }

    @Test("The recorded AWS CLI and boto3 capture: every exchange fed to the stage gives the capture path's call")
    func fixture() throws {
        let file = try [UInt8](Data(contentsOf: Fixtures.url("aws-moto.pcap")))
        let (linkType, records) = try #require(HTTPExchangeExtractor.records(file))
        #expect(linkType == 1)
        let captured = try Self.capturePath(records)
        let staged = Self.stage(records)
        #expect(captured.count >= 20)
        #expect(staged.failures == 0)
        #expect(try Self.canonical(staged.calls) == Self.canonical(captured))
        // Both kinds of ending came through: statuses, and error codes of failed calls.
        #expect(captured.contains { $0.errorCode != nil })
        #expect(Set(captured.map(\.service)).isSuperset(of: ["s3", "dynamodb", "sqs", "lambda", "sts"]))
    }

    static let crafted: [(name: String, request: String, response: String)] = [
        ("json X-Amz-Target, failed with x-amzn-ErrorType",
         B.signedRequest("POST", "/", service: "dynamodb", headers: ["X-Amz-Target: DynamoDB_20120810.DescribeTable"],
                         body: #"{"TableName":"gone"}"#),
         B.response(400, headers: ["x-amzn-ErrorType: ResourceNotFoundException:http://internal"], body: "{}")),
        ("json X-Amz-Target, failed with a __type body",
         B.signedRequest("POST", "/", service: "sqs", headers: ["X-Amz-Target: AmazonSQS.CreateQueue"],
                         body: #"{"QueueName":"q","tags":{"a":"b"}}"#),
         B.response(400, body: #"{"__type":"com.amazonaws.sqs#QueueDeletedRecently","message":"x"}"#)),
        ("query Action in a form body",
         B.signedRequest("POST", "/", service: "iam", headers: ["Content-Type: application/x-www-form-urlencoded"],
                         body: "Action=CreateRole&Version=2010-05-08&RoleName=app%2Brole&Tags.member.1.Key=k"),
         B.response(200, body: "<CreateRoleResponse/>")),
        ("query Action in the query string", B.signedRequest("GET", "/?Action=GetCallerIdentity&Version=2011-06-15", service: "sts"),
         B.response(200)),
        ("rest-xml S3 path style", B.signedRequest("PUT", "/my-bucket/path/to%20file.txt", service: "s3",
                                                   headers: ["x-amz-tagging: a=b"], body: "data"), B.response(200)),
        ("rest-xml S3 virtual-hosted style, failed with an XML body",
         B.signedRequest("GET", "/a/b.txt?acl", service: "s3", host: "my.logs.bucket.s3.us-west-2.amazonaws.com"),
         B.response(404, body: "<Error><Code>NoSuchKey</Code></Error>")),
        ("rest-json with a label and body members",
         B.signedRequest("POST", "/2015-03-31/functions", service: "lambda", headers: ["Content-Type: application/json"],
                         body: #"{"FunctionName":"f","Role":"arn:aws:iam::1:role/r","Code":{"ZipFile":"AAAA"}}"#),
         B.response(201, body: "{}")),
        ("presigned URL", "GET /bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAPRESIGNED1234%2F20240101%2Fap-south-1%2Fs3%2Faws4_request&X-Amz-Signature=abc123 HTTP/1.1\r\nHost: example.test\r\n\r\n",
         B.response(200)),
    ]

    @Test("Crafted exchanges of each protocol: the stage and the capture path agree", arguments: crafted.indices)
    func craftedAgree(index: Int) throws {
        let (_, request, response) = Self.crafted[index]
        let file = B.pcapFile(B.exchange([(request, response)]))
        let (_, records) = try #require(HTTPExchangeExtractor.records(file))
        let captured = try Self.capturePath(records)
        let staged = Self.stage(records)
        #expect(captured.count == 1)
        #expect(staged.calls == captured)
    }

    @Test("Exchanges built by hand, as a proxy builds them: no packets, no raw HTTP")
    func byHand() throws {
        let decoder = AWSRequestDecoder()
        let time = Date(timeIntervalSince1970: 1_700_000_000)
        let authorization = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=ab"
        let getItem = HTTPExchange(
            method: "POST", target: "/",
            headers: [("Host", "dynamodb.eu-west-1.amazonaws.com"), ("authorization", authorization),
                      ("X-Amz-Target", "DynamoDB_20120810.GetItem"), ("Content-Type", "application/x-amz-json-1.0")],
            body: Array(#"{"TableName":"orders","Key":{"id":{"S":"1"}}}"#.utf8), time: time,
            response: .init(status: 400, headers: [("X-Amzn-ErrorType", " ResourceNotFoundException ")]))
        let call = try decoder.decode(getItem).get()
        #expect(call.service == "dynamodb")
        #expect(call.operation == "GetItem")
        #expect(call.region == "eu-west-1")
        #expect(call.accessKeyID?.value == "AKIAIOSFODNN7EXAMPLE")
        #expect(call.parameters == ["TableName": "orders"])
        #expect(call.time == time)
        #expect(call.httpStatus == 400)
        #expect(call.errorCode == "ResourceNotFoundException")
        #expect(!"\(call)".contains("Signature"))

        let virtualHost = HTTPExchange(method: "GET", target: "/logs/a.txt",
                                       headers: [("Host", "my-bucket.s3.eu-west-1.amazonaws.com")], time: time)
        let object = try decoder.decode(virtualHost).get()
        #expect(object.operation == "GetObject")
        #expect(object.parameters?["Bucket"] == "my-bucket")
        #expect(object.parameters?["Key"] == "logs/a.txt")
        #expect(object.httpStatus == nil)

        let presigned = HTTPExchange(method: "GET", target: "/b/k?X-Amz-Credential=AKIAPRESIGNED1234%2F20240101%2Fap-south-1%2Fs3%2Faws4_request&X-Amz-Signature=abc",
                                     headers: [("Host", "127.0.0.1:9000")], time: time, response: .init(status: 200))
        let fetched = try decoder.decode(presigned).get()
        #expect(fetched.operation == "GetObject")
        #expect(fetched.region == "ap-south-1")
        #expect(fetched.accessKeyID?.value == "AKIAPRESIGNED1234")

        let notAWS = HTTPExchange(method: "GET", target: "/index.html", headers: [("Host", "example.com")], time: time)
        #expect(decoder.decode(notAWS) == .failure(.notAWS))
        let unknown = HTTPExchange(method: "POST", target: "/", headers: [("Host", "dynamodb.us-east-1.amazonaws.com"),
                                                                        ("X-Amz-Target", "DynamoDB_20120810.NoSuchThing")])
        #expect(decoder.decode(unknown) == .failure(.unknownOperation))
    }

    @Test("Truncated and corrupted exchanges: the stage answers every one, and never keeps a secret")
    func damaged() throws {
        let decoder = AWSRequestDecoder()
        var exchanges: [HTTPExchange] = []
        for (_, request, response) in Self.crafted {
            let (_, records) = try #require(HTTPExchangeExtractor.records(B.pcapFile(B.exchange([(request, response)]))))
            exchanges += HTTPExchangeExtractor.exchanges(records)
        }
        #expect(exchanges.count == Self.crafted.count)
        var decoded = 0
        for exchange in exchanges {
            var variants: [HTTPExchange] = []
            let body = exchange.body ?? []
            for length in 0..<body.count {
                var cut = exchange
                cut.body = Array(body.prefix(length))
                variants.append(cut)
            }
            let target = Array(exchange.target.utf8)
            for length in 0..<target.count {
                var cut = exchange
                cut.target = String(decoding: target.prefix(length), as: UTF8.self)
                variants.append(cut)
            }
            for (index, header) in exchange.headers.enumerated() {
                let value = Array(header.value.utf8)
                for length in stride(from: 0, to: value.count, by: max(1, value.count / 16)) {
                    var cut = exchange
                    cut.headers[index].value = String(decoding: value.prefix(length), as: UTF8.self) + "%\u{0}\u{FFFD}"
                    variants.append(cut)
                }
            }
            for var variant in variants {
                variant.response?.body = variant.body.map { Array($0.reversed()) }
                if case .success(let call) = decoder.decode(variant) {
                    decoded += 1
                    for secret in ["deadbeef", "SESSIONTOKENSECRET", "abc123"] {
                        #expect(!"\(call.parameters ?? [:])".contains(secret))
                    }
                }
            }
        }
        #expect(decoded > 0)
    }

    @Test("A body too large to keep leaves body parameters unknown, as in the capture")
    func largeBody() throws {
        let decoder = AWSRequestDecoder(maximumBodyBytes: 16)
        let exchange = HTTPExchange(method: "POST", target: "/",
                                    headers: [("Host", "sqs.us-east-1.amazonaws.com"), ("X-Amz-Target", "AmazonSQS.CreateQueue")],
                                    body: Array(#"{"QueueName":"a-queue-name-longer-than-sixteen"}"#.utf8))
        let call = try decoder.decode(exchange).get()
        #expect(call.operation == "CreateQueue")
        #expect(call.parameters == nil)
        let untold = HTTPExchange(method: "POST", target: "/", headers: exchange.headers, body: nil)
        #expect(try decoder.decode(untold).get().parameters == nil)
    }
}
