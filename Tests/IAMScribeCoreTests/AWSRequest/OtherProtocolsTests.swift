import Foundation
@testable import IAMScribeCore
import Testing

/// Services accept more protocols than the one botocore speaks to them, and older SDKs speak the
/// others: Debian's AWS SDK for Go v2 and AWS CLI v2 send SQS and CloudWatch calls in the query
/// protocol. The capture and the AWS request stage (which the proxy feeds) both tell them.
@Suite("Every protocol a service accepts, in capture and stage alike")
struct OtherProtocolsTests {
    typealias B = PacketBuilder

    @Test("The table records the other protocols: botocore's `protocols`, and query for a service once query-compatible")
    func table() throws {
        let sqs = try #require(ActionTable.bundled.service(named: "sqs"))
        #expect(sqs.wireProtocol == .json)
        #expect(sqs.otherProtocols == [.query])
        #expect(sqs.accepts(.query) && sqs.accepts(.json) && !sqs.accepts(.restJSON))
        let cloudWatch = try #require(ActionTable.bundled.service(named: "cloudwatch"))
        #expect(cloudWatch.wireProtocol == .smithyRPCv2CBOR)
        #expect(cloudWatch.otherProtocols == [.json, .query])
        let dynamoDB = try #require(ActionTable.bundled.service(named: "dynamodb"))
        #expect(dynamoDB.otherProtocols.isEmpty)
        #expect(!dynamoDB.accepts(.query))
    }

    @Test("A table's service record may leave the other protocols out; an unknown one is refused, naming the line")
    func tableFormat() throws {
        let short = try ActionTable(bytes: Array("V\t2\tpins\nS\tx\tX\tx\tjson\tX\tx\tx\t0\tx\n".utf8))
        #expect(short.services.first?.otherProtocols == [])
        let both = try ActionTable(bytes: Array("V\t2\tpins\nS\tx\tX\tx\tjson\tX\tx\tx\t0\tx\tquery,rest-json\n".utf8))
        #expect(both.services.first?.otherProtocols == [.query, .restJSON])
        #expect {
            _ = try ActionTable(bytes: Array("V\t2\tpins\nS\tx\tX\tx\tjson\tX\tx\tx\t0\tx\tquery,soap\n".utf8))
        } throws: { error in
            "\(error)".contains("line 2: unknown protocol 'soap'")
        }
    }

    /// Requests as the old SDKs send them, with the call each must give.
    static let requests: [(name: String, request: String, service: String, operation: String, parameters: [String: String])] = [
        ("SQS CreateQueue in a query form (its model lists only JSON)",
         B.signedRequest("POST", "/", service: "sqs", headers: ["Content-Type: application/x-www-form-urlencoded"],
                         body: "Action=CreateQueue&QueueName=jobs&Version=2012-11-05"),
         "sqs", "CreateQueue", ["QueueName": "jobs"]),
        ("SQS SendMessage in a query form with a charset",
         B.signedRequest("POST", "/", service: "sqs", headers: ["Content-Type: application/x-www-form-urlencoded; charset=utf-8"],
                         body: "Action=SendMessage&QueueUrl=http%3A%2F%2F127.0.0.1%3A5000%2F123456789012%2Fjobs&MessageBody=secret-body&Version=2012-11-05"),
         "sqs", "SendMessage", ["QueueUrl": "http://127.0.0.1:5000/123456789012/jobs"]),
        ("SQS ListQueues with its Action in the query string, no body",
         B.signedRequest("GET", "/?Action=ListQueues&Version=2012-11-05", service: "sqs"),
         "sqs", "ListQueues", [:]),
        ("SQS in its own JSON protocol still",
         B.signedRequest("POST", "/", service: "sqs", headers: ["X-Amz-Target: AmazonSQS.CreateQueue", "Content-Type: application/x-amz-json-1.0"],
                         body: #"{"QueueName":"jobs"}"#),
         "sqs", "CreateQueue", ["QueueName": "jobs"]),
        ("CloudWatch ListMetrics in a query form (CBOR first, then JSON, then query)",
         B.signedRequest("POST", "/", service: "monitoring", headers: ["Content-Type: application/x-www-form-urlencoded; charset=utf-8"],
                         body: "Action=ListMetrics&Namespace=App&Version=2010-08-01"),
         "cloudwatch", "ListMetrics", [:]),
        ("CloudWatch PutMetricAlarm in JSON (X-Amz-Target)",
         B.signedRequest("POST", "/", service: "monitoring", headers: ["X-Amz-Target: GraniteServiceVersion20100801.PutMetricAlarm",
                                                                        "Content-Type: application/x-amz-json-1.0"],
                         body: #"{"AlarmName":"high"}"#),
         "cloudwatch", "PutMetricAlarm", ["AlarmName": "high"]),
        ("CloudWatch in its own CBOR protocol still",
         B.signedRequest("POST", "/service/GraniteServiceVersion20100801/operation/ListMetrics", service: "monitoring",
                         headers: ["Smithy-Protocol: rpc-v2-cbor", "Content-Type: application/cbor"]),
         "cloudwatch", "ListMetrics", [:]),
    ]

    @Test("The capture tells each", arguments: requests.indices)
    func capture(_ index: Int) throws {
        let (name, request, service, operation, parameters) = Self.requests[index]
        let decoded = try B.decode(B.exchange([(request, B.response(200))]))
        let call = try #require(decoded.calls.first, "\(name)")
        #expect(call.service == service, "\(name)")
        #expect(call.operation == operation, "\(name)")
        #expect(call.parameters?.filter { !$0.value.isEmpty } == parameters, "\(name)")
        #expect(call.region == "eu-west-1")
    }

    @Test("The AWS request stage (as a proxy feeds it) tells each, as the capture does", arguments: requests.indices)
    func stage(_ index: Int) throws {
        let (name, request, _, _, _) = Self.requests[index]
        let captured = try #require(try B.decode(B.exchange([(request, B.response(200))])).calls.first)
        let exchange = try #require(Self.exchange(request), "\(name)")
        let staged = try AWSRequestDecoder().decode(exchange).get()
        #expect(staged.service == captured.service && staged.operation == captured.operation, "\(name)")
        #expect(staged.parameters == captured.parameters, "\(name)")
        // A message body is never kept.
        #expect(!"\(staged)".contains("secret-body"))
    }

    @Test("A JSON service that does not accept the query protocol does not read a form's Action")
    func notAccepted() throws {
        let form = B.signedRequest("POST", "/", service: "dynamodb", headers: ["Content-Type: application/x-www-form-urlencoded"],
                                   body: "Action=DeleteTable&TableName=t")
        let exchange = try #require(Self.exchange(form))
        #expect(AWSRequestDecoder().decode(exchange) == .failure(.unknownOperation))
        #expect(try B.decode(B.exchange([(form, B.response(200))])).calls.isEmpty)
    }

    /// An HTTP request's text as an exchange with an empty 200 response.
    private static func exchange(_ request: String) -> HTTPExchange? {
        guard let split = request.range(of: "\r\n\r\n") else { return nil }
        let lines = request[..<split.lowerBound].components(separatedBy: "\r\n")
        let start = lines[0].split(separator: " ")
        guard start.count == 3 else { return nil }
        let headers = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return HTTPExchange(method: String(start[0]), target: String(start[1]), headers: headers,
                            body: Array(request[split.upperBound...].utf8), response: .init(status: 200))
    }
}
