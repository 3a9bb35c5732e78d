import Testing
@testable import IAMScribeCore

@Suite("CSM event parser")
struct CSMEventParserTests {
    static let attempt = #"{"Version":1,"ClientId":"","Type":"ApiCallAttempt","Service":"S3","Api":"GetObject","Timestamp":1795910227860,"AttemptLatency":19,"Fqdn":"127.0.0.1:5055","UserAgent":"aws-cli/1.45.11 ...","AccessKey":"AKIAEXAMPLE","SessionToken":"secret-token","Region":"us-east-1","HttpStatusCode":404,"XAmznRequestId":"IzUj","AwsException":"NoSuchBucket","AwsExceptionMessage":"The specified bucket does not exist"}"#
    static let call = #"{"Version":1,"ClientId":"","Type":"ApiCall","Service":"S3","Api":"GetObject","Timestamp":1795910227858,"AttemptCount":1,"Region":"us-east-1","UserAgent":"aws-cli/1.45.11 ...","FinalHttpStatusCode":404,"FinalAwsException":"NoSuchBucket","FinalAwsExceptionMessage":"The specified bucket does not exist","Latency":21,"MaxRetriesExceeded":0}"#

    @Test("A real ApiCall event")
    func apiCall() throws {
        let event = try CSMEventParser.parse(Self.call).get()
        #expect(event == CSMEvent(kind: .apiCall, service: "S3", api: "GetObject", timestamp: 1_795_910_227_858,
                                  region: "us-east-1", httpStatus: 404, exception: "NoSuchBucket"))
    }

    @Test("A real ApiCallAttempt event keeps the key id, never the token")
    func apiCallAttempt() throws {
        let event = try CSMEventParser.parse(Self.attempt).get()
        #expect(event.kind == .apiCallAttempt)
        #expect(event.accessKey == "AKIAEXAMPLE")
        #expect(event.fqdn == "127.0.0.1:5055")
        #expect(event.httpStatus == 404)
        #expect(!String(describing: event).contains("secret-token"))
    }

    @Test("Rejections name their reason", arguments: [
        ("not json", "invalid-json"),
        ("[1,2]", "invalid-json"),
        (#"{"Version":1,"Type":"ApiCall","Service":"S3"}"#, "missing-field"),
        (#"{"Version":"1","Type":"ApiCall","Service":"S3","Api":"X"}"#, "wrong-field-type"),
        (#"{"Version":1,"Type":"ApiCall","Service":3,"Api":"X"}"#, "wrong-field-type"),
        (#"{"Version":1,"Type":"ApiCall","Service":"S3","Api":"X","FinalHttpStatusCode":"200"}"#, "wrong-field-type"),
        (#"{"Version":2,"Type":"ApiCall","Service":"S3","Api":"X"}"#, "unsupported-version"),
        (#"{"Version":1,"Type":"Other","Service":"S3","Api":"X"}"#, "unknown-type"),
        (#"{"Version":1,"Type":"ApiCall","Service":"S3","Api":"X"} trailing"#, "invalid-json"),
        (#"{"Version":1,"Type":"ApiCall","Service":"S3","Api":"X",}"#, "invalid-json"),
    ])
    func rejections(input: String, reason: String) {
        guard case .failure(let rejection) = CSMEventParser.parse(input) else {
            Issue.record("accepted \(input)")
            return
        }
        #expect(rejection.reasonKey == reason, "\(input): \(rejection)")
    }

    @Test("Nested values, nulls and escapes")
    func tolerantParts() throws {
        let text = #"{"Version":1,"Type":"ApiCall","Service":"API Gateway","Api":"Get\u0052estApis","Extra":{"a":[1,{"b":"}"}]},"FinalAwsException":null,"Region":"eu-west-1","Flag":true,"Latency":1.5e2}"#
        let event = try CSMEventParser.parse(text).get()
        #expect(event.api == "GetRestApis")
        #expect(event.exception == nil)
        #expect(event.region == "eu-west-1")
    }

    @Test("Every truncation of a valid event is rejected, never crashes")
    func truncated() {
        let bytes = Array(Self.attempt.utf8)
        for length in 0..<bytes.count {
            let result = CSMEventParser.parse(Array(bytes[0..<length]))
            if case .success = result { Issue.record("accepted a truncation at \(length)") }
        }
    }

    @Test("Corrupting any single byte never crashes the parser")
    func corrupted() {
        let bytes = Array(Self.call.utf8)
        for index in bytes.indices {
            for replacement: UInt8 in [0x00, 0x22, 0x5C, 0x7B, 0x7D, 0xFF] {
                var copy = bytes
                copy[index] = replacement
                _ = CSMEventParser.parse(copy)
            }
        }
    }

    @Test("The assembler lends an attempt's key id to its call")
    func assembler() throws {
        var assembler = CSMCallAssembler()
        #expect(assembler.add(try CSMEventParser.parse(Self.attempt).get()).isEmpty)
        let calls = assembler.add(try CSMEventParser.parse(Self.call).get())
        #expect(calls.count == 1)
        #expect(calls.first?.accessKeyID?.value == "AKIAEXAMPLE")
        #expect(calls.first?.accessKeyID?.description == "AKIA…MPLE")
        #expect(calls.first?.failed == true)
        #expect(assembler.pendingCount == 0)
    }

    @Test("An attempt without its ApiCall becomes a call when flushed")
    func orphanAttempt() throws {
        var assembler = CSMCallAssembler()
        _ = assembler.add(try CSMEventParser.parse(Self.attempt).get())
        let flushed = assembler.flush()
        #expect(flushed.map(\.operation) == ["GetObject"])
        #expect(assembler.pendingCount == 0)
    }
}
