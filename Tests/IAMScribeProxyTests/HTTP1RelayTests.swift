import Foundation
@testable import IAMScribeProxy
import IAMScribeCore
import Testing

/// What an intercepting HTTP/1.1 proxy must do with a decrypted connection's messages: find each
/// one's end (chunked, Content-Length, HEAD, 1xx/204/304, until close), relay the bytes as they
/// came, keep the connection alive or close it as the messages say, refuse what is malformed
/// before any of it goes upstream, and record each exchange once.
///
/// The client is Scripts/lib/tunnel_client.py (raw bytes through a `CONNECT` tunnel, TLS with the
/// proxy's CA); the upstream is Scripts/lib/scripted_upstream.py (exact bytes back, and a log of
/// the exact bytes it received), reached through `--forward-to`.
@Suite("HTTP/1.1 relay inside a decrypted tunnel", .enabled(if: ProxyTestSupport.available, "needs curl and python3 (Scripts/setup)"))
struct HTTP1RelayTests {
    static let bucketHost = "relay-bucket.s3.us-east-1.amazonaws.com"

    static func waitFor(_ condition: () -> Bool) -> Bool { ProxyTests.waitFor(condition) }

    /// The proxy counted `exchanges` exchanges, each one a call, on `intercepted` decrypted
    /// connections, and nothing that went wrong.
    static func expectCounted(_ proxy: RunningProxy, exchanges: Int, intercepted: Int = 1,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        let statistics = proxy.statistics
        #expect(statistics.exchanges == exchanges, "\(statistics)", sourceLocation: sourceLocation)
        #expect(statistics.calls == exchanges, "\(statistics)", sourceLocation: sourceLocation)
        #expect(statistics.intercepted == intercepted, "\(statistics)", sourceLocation: sourceLocation)
        #expect(statistics.upstreamFailures == 0, "\(statistics)", sourceLocation: sourceLocation)
        #expect(statistics.rejected.isEmpty, "\(statistics)", sourceLocation: sourceLocation)
    }

    /// What follows a message's head.
    static func body(of message: String) -> String {
        message.range(of: "\r\n\r\n").map { String(message[$0.upperBound...]) } ?? ""
    }

    // MARK: - Message boundaries in responses

    /// A chunked response (a chunk extension, a trailer field) reaches the client as it came and
    /// the connection serves the next request; a chunked JSON error body is read for its code.
    @Test func aChunkedResponseReachesTheClientIntactAndTheConnectionGoesOn() throws {
        let chunked = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
            + "5;x=y\r\nhello\r\n7\r\n, world\r\n0\r\nX-Checksum: abc123\r\n\r\n"
        let second = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond"
        let errorJSON = #"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found: Table: missing-table not found"}"#
        let splitAt = errorJSON.index(errorJSON.startIndex, offsetBy: 40)
        let (errorHead, errorTail) = (String(errorJSON[..<splitAt]), String(errorJSON[splitAt...]))
        let dynamoError = "HTTP/1.1 400 Bad Request\r\nx-amzn-RequestId: R1\r\nContent-Type: application/x-amz-json-1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
            + String(errorHead.utf8.count, radix: 16) + "\r\n" + errorHead + "\r\n"
            + String(errorTail.utf8.count, radix: 16) + "\r\n" + errorTail + "\r\n0\r\n\r\n"
        let upstream = try ScriptedUpstream([
            .bytes(chunked, match: "GET /chunked "), .bytes(second, match: "GET /second "), .bytes(dynamoError, match: "POST / "),
        ])
        let proxy = try upstream.proxy()
        let first = "GET /chunked HTTP/1.1\r\nHost: \(Self.bucketHost)\r\nUser-Agent: relay-test\r\n\r\n"
        let next = "GET /second HTTP/1.1\r\nHost: \(Self.bucketHost)\r\n\r\n"
        let result = try TunnelClient.run(proxy, host: Self.bucketHost, [
            .send(first), .until("X-Checksum: abc123\r\n\r\n"), .send(next), .until("second"), .close,
        ])
        #expect(result.timeouts.isEmpty, "\(result.received.debugDescription)")
        #expect(result.received == chunked + second, "\(result.received.debugDescription)")

        let describeBody = #"{"TableName":"missing-table"}"#
        let describe = "POST / HTTP/1.1\r\nHost: dynamodb.us-east-1.amazonaws.com\r\nX-Amz-Target: DynamoDB_20120810.DescribeTable\r\n"
            + "Content-Type: application/x-amz-json-1.0\r\nContent-Length: \(describeBody.utf8.count)\r\n\r\n" + describeBody
        let failed = try TunnelClient.run(proxy, host: "dynamodb.us-east-1.amazonaws.com", [
            .send(describe), .until(errorTail + "\r\n0\r\n\r\n"), .close,
        ])
        #expect(failed.timeouts.isEmpty, "\(failed.received.debugDescription)")
        #expect(failed.received == dynamoError, "\(failed.received.debugDescription)")

        #expect(upstream.requests == [first, next, describe])
        #expect(upstream.stray.isEmpty, "\(upstream.stray)")
        try #require(Self.waitFor { proxy.calls.count == 3 }, "\(proxy.calls)")
        let calls = proxy.calls
        #expect(calls.map(\.operation) == ["GetObject", "GetObject", "DescribeTable"])
        #expect(calls.map { $0.parameters?["Key"] } == ["chunked", "second", nil])
        #expect(calls.map(\.httpStatus) == [200, 200, 400])
        #expect(calls[2].errorCode == "ResourceNotFoundException")
        #expect(calls[2].parameters?["TableName"] == "missing-table")
        Self.expectCounted(proxy, exchanges: 3, intercepted: 2)
    }

    /// A HEAD answer has a Content-Length but no body: the proxy must not wait for one, and the
    /// next request on the connection is answered.
    @Test func aHeadAnswerHasNoBodyAndTheNextRequestIsAnswered() throws {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1234\r\nETag: \"abc\"\r\n\r\n"
        let after = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nafter"
        let upstream = try ScriptedUpstream([.bytes(head, match: "HEAD /object "), .bytes(after, match: "GET /after ")])
        let proxy = try upstream.proxy()
        let first = "HEAD /object HTTP/1.1\r\nHost: \(Self.bucketHost)\r\n\r\n"
        let next = "GET /after HTTP/1.1\r\nHost: \(Self.bucketHost)\r\n\r\n"
        let result = try TunnelClient.run(proxy, host: Self.bucketHost, [
            .send(first), .until("ETag: \"abc\"\r\n\r\n"), .send(next), .until("\r\n\r\nafter"), .close,
        ])
        #expect(result.timeouts.isEmpty, "\(result.received.debugDescription)")
        #expect(result.received == head + after, "\(result.received.debugDescription)")
        #expect(upstream.requests == [first, next])
        try #require(Self.waitFor { proxy.calls.count == 2 }, "\(proxy.calls)")
        #expect(proxy.calls.map(\.operation) == ["HeadObject", "GetObject"])
        #expect(proxy.calls.map(\.httpStatus) == [200, 200])
        Self.expectCounted(proxy, exchanges: 2)
    }

    /// 204 and 304 answers end at their head (no length, no chunks); the connection goes on.
    @Test func noContentAndNotModifiedEndAtTheirHeadAndKeepAliveGoesOn() throws {
        let noContent = "HTTP/1.1 204 No Content\r\nx-amz-request-id: R204\r\n\r\n"
        let notModified = "HTTP/1.1 304 Not Modified\r\nETag: \"abc\"\r\nx-amz-request-id: R304\r\n\r\n"
        let third = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nthird"
        let upstream = try ScriptedUpstream([
            .bytes(noContent, match: "DELETE /gone "), .bytes(notModified, match: "GET /cached "), .bytes(third, match: "GET /third "),
        ])
        let proxy = try upstream.proxy()
        let requests = [
            "DELETE /gone HTTP/1.1\r\nHost: \(Self.bucketHost)\r\n\r\n",
            "GET /cached HTTP/1.1\r\nHost: \(Self.bucketHost)\r\nIf-None-Match: \"abc\"\r\n\r\n",
            "GET /third HTTP/1.1\r\nHost: \(Self.bucketHost)\r\n\r\n",
        ]
        let result = try TunnelClient.run(proxy, host: Self.bucketHost, [
            .send(requests[0]), .until("R204\r\n\r\n"), .send(requests[1]), .until("R304\r\n\r\n"),
            .send(requests[2]), .until("\r\n\r\nthird"), .close,
        ])
        #expect(result.timeouts.isEmpty, "\(result.received.debugDescription)")
        #expect(result.received == noContent + notModified + third, "\(result.received.debugDescription)")
        #expect(upstream.requests == requests)
        try #require(Self.waitFor { proxy.calls.count == 3 }, "\(proxy.calls)")
        #expect(proxy.calls.map(\.operation) == ["DeleteObject", "GetObject", "GetObject"])
        #expect(proxy.calls.map(\.httpStatus) == [204, 304, 200])
        #expect(proxy.calls.allSatisfy { $0.errorCode == nil })
        Self.expectCounted(proxy, exchanges: 3)
    }

    /// A response framed by neither a length nor chunks runs until the upstream closes: the
    /// client gets all of it, as it came, then its connection is closed; the exchange is recorded.
    @Test(arguments: [false, true])
    func aResponseThatEndsWhenTheUpstreamClosesReachesTheClientWhole(tls: Bool) throws {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"
        let upstream = try ScriptedUpstream([
            .init([.send(head), .send("part one, "), .sleep(0.1), .send("part two"), .close]),
        ], tls: tls)
        let proxy = try upstream.proxy()
        let request = "GET /until-close HTTP/1.1\r\nHost: \(Self.bucketHost)\r\n\r\n"
        let result = try TunnelClient.run(proxy, host: Self.bucketHost, [.send(request)])
        #expect(result.closed, "the client's connection stayed open: \(result.received.debugDescription)")
        #expect(result.received.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(result.received.debugDescription)")
        // The body follows the head as it came, unframed (a Connection: close added is allowed).
        #expect(result.received.hasSuffix("\r\n\r\npart one, part two"), "\(result.received.debugDescription)")
        #expect(!result.received.lowercased().contains("transfer-encoding"), "\(result.received.debugDescription)")
        #expect(upstream.requests == [request])
        try #require(Self.waitFor { proxy.calls.count == 1 }, "\(proxy.calls)")
        #expect(proxy.calls.first?.operation == "GetObject")
        #expect(proxy.calls.first?.parameters?["Key"] == "until-close")
        #expect(proxy.calls.first?.httpStatus == 200)
        Self.expectCounted(proxy, exchanges: 1)
    }

    /// An answer with `Connection: close` reaches the client, whose connection is then closed;
    /// nothing the client sends after it goes upstream.
    @Test func anAnswerWithConnectionCloseClosesTheClientsConnection() throws {
        let answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
        let upstream = try ScriptedUpstream([.init([.send(answer), .close]), .bytes("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nmore")])
        let proxy = try upstream.proxy()
        let request = "GET /closing HTTP/1.1\r\nHost: \(Self.bucketHost)\r\n\r\n"
        let result = try TunnelClient.run(proxy, host: Self.bucketHost, [.send(request), .until("\r\n\r\nok")])
        #expect(result.closed, "the client's connection stayed open: \(result.received.debugDescription)")
        #expect(result.received.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(result.received.debugDescription)")
        #expect(result.received.hasSuffix("\r\n\r\nok"), "\(result.received.debugDescription)")
        #expect(result.received.lowercased().contains("\r\nconnection: close\r\n"), "\(result.received.debugDescription)")
        #expect(upstream.requests == [request])
        try #require(Self.waitFor { proxy.calls.count == 1 }, "\(proxy.calls)")
        #expect(proxy.calls.first?.parameters?["Key"] == "closing")
        #expect(proxy.calls.first?.httpStatus == 200)
        Self.expectCounted(proxy, exchanges: 1)
    }

    /// A request with `Connection: close` is answered, then the client's connection is closed
    /// (even when the upstream would keep its own open).
    @Test func aRequestWithConnectionCloseIsAnsweredThenClosed() throws {
        let upstream = try ScriptedUpstream([.bytes("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlast")])
        let proxy = try upstream.proxy()
        let request = "GET /last HTTP/1.1\r\nHost: \(Self.bucketHost)\r\nConnection: close\r\n\r\n"
        let result = try TunnelClient.run(proxy, host: Self.bucketHost, [.send(request)])
        #expect(result.closed, "the client's connection stayed open: \(result.received.debugDescription)")
        #expect(result.received.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(result.received.debugDescription)")
        #expect(result.received.hasSuffix("\r\n\r\nlast"), "\(result.received.debugDescription)")
        #expect(result.received.contains("Content-Length: 4\r\n"), "\(result.received.debugDescription)")
        // The upstream is told too.
        let sent = try #require(upstream.requests.first)
        #expect(upstream.requests.count == 1)
        #expect(sent.hasPrefix("GET /last HTTP/1.1\r\n"), "\(sent.debugDescription)")
        #expect(sent.lowercased().contains("\r\nconnection: close\r\n"), "\(sent.debugDescription)")
        try #require(Self.waitFor { proxy.calls.count == 1 }, "\(proxy.calls)")
        #expect(proxy.calls.first?.parameters?["Key"] == "last")
        Self.expectCounted(proxy, exchanges: 1)
    }

    // MARK: - Request bodies

    /// A chunked request body reaches the upstream as it came (extension and trailer kept), and a
    /// query-protocol call sent that way is decoded from its chunks.
    @Test func aChunkedRequestBodyReachesTheUpstreamIntactAndIsDecoded() throws {
        let created = "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 24\r\n\r\n<CreateQueueResponse/>\r\n"
        let stored = "HTTP/1.1 200 OK\r\nETag: \"e1\"\r\nContent-Length: 0\r\n\r\n"
        let upstream = try ScriptedUpstream([.bytes(stored, match: "PUT /upload "), .bytes(created, match: "POST / ")])
        let proxy = try upstream.proxy()
        let upload = "PUT /upload HTTP/1.1\r\nHost: \(Self.bucketHost)\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
        let put = try TunnelClient.run(proxy, host: Self.bucketHost, [.send(upload), .until("Content-Length: 0\r\n\r\n"), .close])
        #expect(put.timeouts.isEmpty, "\(put.received.debugDescription)")
        #expect(put.received == stored, "\(put.received.debugDescription)")

        let form = "Action=CreateQueue&QueueName=q1&Version=2012-11-05"
        let (formHead, formTail) = (String(form.prefix(27)), String(form.dropFirst(27)))
        let sqs = "POST / HTTP/1.1\r\nHost: sqs.us-east-1.amazonaws.com\r\nContent-Type: application/x-www-form-urlencoded; charset=utf-8\r\n"
            + "X-Amz-Date: 20260101T000000Z\r\n"
            + "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/sqs/aws4_request, "
            + "SignedHeaders=content-type;host;x-amz-date, Signature=\(String(repeating: "0a", count: 32))\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n"
            + String(formHead.utf8.count, radix: 16) + "\r\n" + formHead + "\r\n"
            + String(formTail.utf8.count, radix: 16) + "\r\n" + formTail + "\r\n0\r\n\r\n"
        let post = try TunnelClient.run(proxy, host: "sqs.us-east-1.amazonaws.com", [.send(sqs), .until("<CreateQueueResponse/>\r\n"), .close])
        #expect(post.timeouts.isEmpty, "\(post.received.debugDescription)")
        #expect(post.received == created, "\(post.received.debugDescription)")

        let requests = upstream.requests
        try #require(requests.count == 2, "\(requests) \(upstream.stray)")
        // The bodies whole, then the bytes as they came.
        #expect(dechunked(Self.body(of: requests[0])) == "hello world", "\(requests[0].debugDescription)")
        #expect(dechunked(Self.body(of: requests[1])) == form, "\(requests[1].debugDescription)")
        #expect(requests[0] == upload, "\(requests[0].debugDescription)")
        #expect(requests[1] == sqs, "\(requests[1].debugDescription)")

        try #require(Self.waitFor { proxy.calls.count == 2 }, "\(proxy.calls)")
        let calls = proxy.calls
        #expect(calls.map(\.operation) == ["PutObject", "CreateQueue"])
        #expect(calls[1].service == "sqs")
        #expect(calls[1].region == "us-east-1")
        #expect(calls[1].parameters?["QueueName"] == "q1")
        #expect(calls[1].httpStatus == 200)
        #expect(calls[1].accessKeyID?.description.contains("IOSFODNN7EXAMPLE") == false)
        Self.expectCounted(proxy, exchanges: 2, intercepted: 2)
    }

    // MARK: - Malformed requests

    /// A malformed request, and whether its head may already have gone upstream before the
    /// error is found (only when the error is in the body: a relay streams the head first).
    struct Malformed: CustomTestStringConvertible, Sendable {
        let name: String
        let bytes: String
        var headMayGoUpstream = false
        var testDescription: String { name }
    }

    static let host = bucketHost
    static let malformed: [Malformed] = [
        Malformed(name: "Content-Length and Transfer-Encoding together (request smuggling)",
                  bytes: "POST /smuggle HTTP/1.1\r\nHost: \(host)\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                      + "GET /smuggled HTTP/1.1\r\nHost: \(host)\r\n\r\n"),
        Malformed(name: "two different Content-Length values",
                  bytes: "PUT /k HTTP/1.1\r\nHost: \(host)\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
        Malformed(name: "a Content-Length list of different values",
                  bytes: "PUT /k HTTP/1.1\r\nHost: \(host)\r\nContent-Length: 5, 6\r\n\r\nhello!"),
        Malformed(name: "a non-numeric Content-Length",
                  bytes: "PUT /k HTTP/1.1\r\nHost: \(host)\r\nContent-Length: five\r\n\r\nhello"),
        Malformed(name: "a negative Content-Length",
                  bytes: "PUT /k HTTP/1.1\r\nHost: \(host)\r\nContent-Length: -5\r\n\r\nhello"),
        Malformed(name: "a header line without a colon",
                  bytes: "GET /k HTTP/1.1\r\nHost: \(host)\r\nNoColonHere\r\n\r\n"),
        Malformed(name: "whitespace between a field name and its colon",
                  bytes: "PUT /k HTTP/1.1\r\nHost: \(host)\r\nContent-Length : 5\r\n\r\nhello"),
        Malformed(name: "a request line without an HTTP version",
                  bytes: "GET /k\r\nHost: \(host)\r\n\r\n"),
        Malformed(name: "a head larger than 64 KiB",
                  bytes: "GET /k HTTP/1.1\r\nHost: \(host)\r\nX-Big: \(String(repeating: "a", count: 70_000))\r\n\r\n"),
        Malformed(name: "a Transfer-Encoding whose last coding is not chunked",
                  bytes: "PUT /k HTTP/1.1\r\nHost: \(host)\r\nTransfer-Encoding: gzip\r\n\r\nhello"),
        Malformed(name: "an obsolete line folding",
                  bytes: "GET /k HTTP/1.1\r\nHost: \(host)\r\nX-Folded: one\r\n two\r\n\r\n"),
        Malformed(name: "a bare CR inside a field value",
                  bytes: "GET /k HTTP/1.1\r\nHost: \(host)\r\nX-Bare: one\rtwo\r\n\r\n"),
        Malformed(name: "a NUL inside a field value",
                  bytes: "GET /k HTTP/1.1\r\nHost: \(host)\r\nX-Nul: one\u{0}two\r\n\r\n"),
        Malformed(name: "an invalid chunk size",
                  bytes: "PUT /k HTTP/1.1\r\nHost: \(host)\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
                  headMayGoUpstream: true),
    ]

    /// A malformed request is answered with a 400 and counted as such, the connection is closed,
    /// and nothing of it (or of what follows it) reaches the upstream as a request.
    @Test(arguments: malformed)
    func aMalformedRequestGetsA400AndNothingOfItGoesUpstream(_ request: Malformed) throws {
        let upstream = try ScriptedUpstream([
            .bytes("HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nforwarded (1)"), .bytes("HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nforwarded (2)"),
        ])
        let proxy = try upstream.proxy()
        let result = try TunnelClient.run(proxy, host: Self.host, [.send(request.bytes)])
        #expect(result.received.hasPrefix("HTTP/1.1 400 "), "\(result.received.debugDescription)")
        #expect(!result.received.contains("forwarded"), "\(result.received.debugDescription)")
        #expect(result.closed)
        try #require(Self.waitFor { proxy.statistics.rejected["malformed HTTP request"] == 1 }, "\(proxy.statistics)")
        usleep(200_000)
        if request.headMayGoUpstream {
            #expect(upstream.requests.isEmpty, "a whole request went upstream: \(upstream.requests)")
        } else {
            #expect(upstream.requests.isEmpty && upstream.stray.isEmpty, "went upstream: \(upstream.requests) \(upstream.stray)")
        }
        #expect(proxy.calls.isEmpty, "\(proxy.calls)")
        #expect(proxy.statistics.rejectedTotal == 1, "\(proxy.statistics.rejected)")
        #expect(proxy.statistics.calls == 0)
    }

    // MARK: - Interim responses, fragments, pipelining

    /// A 103 Early Hints before the 200: both reach the client, as they came; the exchange is
    /// recorded once, with the final status.
    @Test func anEarlyHintsInterimAnswerReachesTheClientAndTheFinalOneIsRecorded() throws {
        let hints = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n"
        let final = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nbody"
        let upstream = try ScriptedUpstream([.init([.send(hints), .sleep(0.05), .send(final)])])
        let proxy = try upstream.proxy()
        let request = "GET /hinted HTTP/1.1\r\nHost: \(Self.bucketHost)\r\n\r\n"
        let result = try TunnelClient.run(proxy, host: Self.bucketHost, [.send(request), .until("\r\n\r\nbody"), .close])
        #expect(result.timeouts.isEmpty, "\(result.received.debugDescription)")
        #expect(result.received == hints + final, "\(result.received.debugDescription)")
        #expect(upstream.requests == [request])
        try #require(Self.waitFor { proxy.calls.count == 1 }, "\(proxy.calls)")
        usleep(200_000)
        #expect(proxy.calls.count == 1)
        #expect(proxy.calls.first?.httpStatus == 200)
        #expect(proxy.calls.first?.parameters?["Key"] == "hinted")
        Self.expectCounted(proxy, exchanges: 1)
    }

    /// A request written one byte at a time and an answer written three bytes at a time (over
    /// TLS too: one record each) both arrive whole and unchanged.
    @Test(arguments: [false, true])
    func aRequestSentByteByByteAndAnAnswerInSmallPiecesArriveIntact(tls: Bool) throws {
        let answer = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 20\r\nETag: \"p\"\r\n\r\nsmall pieces arrive."
        let upstream = try ScriptedUpstream([.init([.send(answer, piece: 3, pause: 0.005)])], tls: tls)
        let proxy = try upstream.proxy()
        let request = "PUT /bytewise HTTP/1.1\r\nHost: \(Self.bucketHost)\r\nX-Amz-Meta-Note: one byte at a time\r\n"
            + "Content-Length: 26\r\n\r\nabcdefghijklmnopqrstuvwxyz"
        let result = try TunnelClient.run(proxy, host: Self.bucketHost, [
            .send(request, piece: 1, pause: 0.002), .until("small pieces arrive."), .close,
        ])
        #expect(result.timeouts.isEmpty, "\(result.received.debugDescription)")
        #expect(result.received == answer, "\(result.received.debugDescription)")
        #expect(upstream.requests == [request], "\(upstream.requests) \(upstream.stray)")
        try #require(Self.waitFor { proxy.calls.count == 1 }, "\(proxy.calls)")
        #expect(proxy.calls.first?.operation == "PutObject")
        #expect(proxy.calls.first?.parameters?["Key"] == "bytewise")
        #expect(proxy.calls.first?.httpStatus == 200)
        Self.expectCounted(proxy, exchanges: 1)
    }

    /// A second request sent while the first one's answer is still streaming: both are
    /// answered, in order, each answer as it came.
    @Test func aRequestPipelinedBehindAStreamingAnswerIsAnsweredInItsTurn() throws {
        let slow = "HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n"
        let slowBody = "012345678901234567890123456789"
        let fast = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfast!"
        let upstream = try ScriptedUpstream([
            .init(match: "GET /slow ", [.send(slow), .send(slowBody, piece: 5, pause: 0.1)]), .bytes(fast, match: "GET /fast "),
        ])
        let proxy = try upstream.proxy()
        let first = "GET /slow HTTP/1.1\r\nHost: \(Self.bucketHost)\r\n\r\n"
        let second = "GET /fast HTTP/1.1\r\nHost: \(Self.bucketHost)\r\n\r\n"
        let result = try TunnelClient.run(proxy, host: Self.bucketHost, [
            .send(first), .until("Content-Length: 30\r\n\r\n"), .send(second), .until("fast!"), .close,
        ])
        #expect(result.timeouts.isEmpty, "\(result.received.debugDescription)")
        #expect(result.received == slow + slowBody + fast, "\(result.received.debugDescription)")
        #expect(upstream.requests == [first, second])
        try #require(Self.waitFor { proxy.calls.count == 2 }, "\(proxy.calls)")
        #expect(proxy.calls.map { $0.parameters?["Key"] } == ["slow", "fast"])
        Self.expectCounted(proxy, exchanges: 2)
    }

    // MARK: - What goes upstream

    /// An absolute-form target inside the tunnel goes upstream in origin form; the rest of the
    /// head is unchanged.
    /// The same, with the head (which must be rewritten) and a body arriving in small pieces
    /// behind a blank line: the head is joined across reads, and what follows it goes once, after it.
    @Test func anAbsoluteFormHeadCutAcrossReadsIsRewrittenOnceAndInOrder() throws {
        let answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        let upstream = try ScriptedUpstream([.bytes(answer)])
        let proxy = try upstream.proxy()
        let rest = "Host: \(Self.bucketHost)\r\nContent-Length: 5\r\n"
        let request = "\r\nPUT https://\(Self.bucketHost)/cut/key HTTP/1.1\r\n" + rest + "Proxy-Connection: keep-alive\r\n\r\nhello"
        let result = try TunnelClient.run(proxy, host: Self.bucketHost,
                                          [.send(request, piece: 7, pause: 0.01), .until("\r\n\r\nok"), .close])
        #expect(result.received == answer, "\(result.received.debugDescription)")
        #expect(upstream.requests == ["PUT /cut/key HTTP/1.1\r\n" + rest + "\r\nhello"], "\(upstream.requests)")
        try #require(Self.waitFor { proxy.calls.count == 1 }, "\(proxy.calls)")
        #expect(proxy.calls.first?.operation == "PutObject")
    }

    @Test func anAbsoluteFormTargetGoesUpstreamInOriginForm() throws {
        let answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        let upstream = try ScriptedUpstream([.bytes(answer)])
        let proxy = try upstream.proxy()
        let rest = "Host: \(Self.bucketHost)\r\nUser-Agent: relay-test\r\n\r\n"
        let request = "GET https://\(Self.bucketHost)/absolute/key?versionId=3 HTTP/1.1\r\n" + rest
        let result = try TunnelClient.run(proxy, host: Self.bucketHost, [.send(request), .until("\r\n\r\nok"), .close])
        #expect(result.received == answer, "\(result.received.debugDescription)")
        #expect(upstream.requests == ["GET /absolute/key?versionId=3 HTTP/1.1\r\n" + rest])
        try #require(Self.waitFor { proxy.calls.count == 1 }, "\(proxy.calls)")
        #expect(proxy.calls.first?.operation == "GetObject")
        #expect(proxy.calls.first?.parameters?["Key"] == "absolute/key")
        Self.expectCounted(proxy, exchanges: 1)
    }

    /// `Proxy-Connection` and `Proxy-Authorization` stay at the proxy; every other header line
    /// goes upstream byte for byte, in its place.
    @Test func proxyHeadersStayAndTheOthersGoUpstreamUnchanged() throws {
        let answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        let upstream = try ScriptedUpstream([.bytes(answer)])
        let proxy = try upstream.proxy()
        let request = "GET /proxy-headers HTTP/1.1\r\nHost: \(Self.bucketHost)\r\nProxy-Connection: keep-alive\r\nX-First: 1\r\n"
            + "Proxy-Authorization: Basic dXNlcjpwYXNzd29yZA==\r\nx-lower-case: kept\r\nX-Amz-Date: 20260101T000000Z\r\nAccept: */*\r\n\r\n"
        let result = try TunnelClient.run(proxy, host: Self.bucketHost, [.send(request), .until("\r\n\r\nok"), .close])
        #expect(result.received == answer, "\(result.received.debugDescription)")
        let expected = "GET /proxy-headers HTTP/1.1\r\nHost: \(Self.bucketHost)\r\nX-First: 1\r\n"
            + "x-lower-case: kept\r\nX-Amz-Date: 20260101T000000Z\r\nAccept: */*\r\n\r\n"
        #expect(upstream.requests == [expected])
        #expect(!upstream.requests.joined().contains("dXNlcjpwYXNzd29yZA"))
        try #require(Self.waitFor { proxy.calls.count == 1 }, "\(proxy.calls)")
        #expect(proxy.calls.first?.parameters?["Key"] == "proxy-headers")
        Self.expectCounted(proxy, exchanges: 1)
    }

    /// The upstream receives a normal request's head byte for byte as the client sent it:
    /// header order, names' case, and the spacing around values.
    @Test func theRequestHeadGoesUpstreamByteForByte() throws {
        let answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
        let upstream = try ScriptedUpstream([.bytes(answer)])
        let proxy = try upstream.proxy()
        let request = "PUT /exact/key HTTP/1.1\r\nHost: \(Self.bucketHost)\r\nx-amz-meta-Mixed-Case: Value With  Spaces\r\n"
            + "X-Custom:  two  spaces\r\nACCEPT: */*\r\nX-Empty:\r\nX-Tab:\tvalue\t\r\ncontent-type: text/plain\r\nContent-Length: 4\r\n\r\nbody"
        let result = try TunnelClient.run(proxy, host: Self.bucketHost, [.send(request), .until("Content-Length: 0\r\n\r\n"), .close])
        #expect(result.received == answer, "\(result.received.debugDescription)")
        #expect(upstream.requests == [request])
        try #require(Self.waitFor { proxy.calls.count == 1 }, "\(proxy.calls)")
        #expect(proxy.calls.first?.operation == "PutObject")
        #expect(proxy.calls.first?.parameters?["Key"] == "exact/key")
        Self.expectCounted(proxy, exchanges: 1)
    }

    /// The client receives an answer's head byte for byte as the upstream sent it: its reason
    /// phrase, header order, names' case, and the spacing around values.
    @Test func theResponseHeadReachesTheClientByteForByte() throws {
        let answer = "HTTP/1.1 200 Fine\r\nx-amz-request-id: R1\r\nETag:  \"two  spaces\"\r\nX-Amz-Meta-Mixed-Case: Value\r\n"
            + "content-type: text/plain\r\nX-Empty:\r\nContent-Length: 4\r\n\r\nbody"
        let upstream = try ScriptedUpstream([.bytes(answer)])
        let proxy = try upstream.proxy()
        let request = "GET /response-head HTTP/1.1\r\nHost: \(Self.bucketHost)\r\n\r\n"
        let result = try TunnelClient.run(proxy, host: Self.bucketHost, [.send(request), .until("\r\n\r\nbody"), .close])
        #expect(result.timeouts.isEmpty, "\(result.received.debugDescription)")
        #expect(result.received == answer, "\(result.received.debugDescription)")
        #expect(upstream.requests == [request])
        try #require(Self.waitFor { proxy.calls.count == 1 }, "\(proxy.calls)")
        #expect(proxy.calls.first?.parameters?["Key"] == "response-head")
        #expect(proxy.calls.first?.httpStatus == 200)
        Self.expectCounted(proxy, exchanges: 1)
    }

    /// Bytes an upstream sends past the end of its answer (here a whole second response no
    /// request asked for) never reach the client: the next request gets its own answer.
    @Test func bytesPastTheEndOfAnAnswerNeverReachTheClient() throws {
        let answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        let injected = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\ninjected"
        let second = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond"
        let upstream = try ScriptedUpstream([.bytes(answer + injected, match: "GET /first "), .bytes(second, match: "GET /second ")])
        let proxy = try upstream.proxy()
        let first = "GET /first HTTP/1.1\r\nHost: \(Self.bucketHost)\r\n\r\n"
        let next = "GET /second HTTP/1.1\r\nHost: \(Self.bucketHost)\r\n\r\n"
        let result = try TunnelClient.run(proxy, host: Self.bucketHost, [
            .send(first), .until("\r\n\r\nok"), .sleep(0.3), .send(next), .until("second"), .close,
        ])
        #expect(!result.received.contains("injected"), "\(result.received.debugDescription)")
        #expect(result.received == answer + second, "\(result.received.debugDescription)")
        #expect(upstream.requests == [first, next])
        try #require(Self.waitFor { proxy.calls.count == 2 }, "\(proxy.calls)")
        #expect(proxy.calls.map { $0.parameters?["Key"] } == ["first", "second"])
        #expect(proxy.statistics.exchanges == 2)
    }

    // MARK: - Recording, old clients, failures

    /// The error code of a REST-JSON error comes from its `x-amzn-ErrorType` header (its body
    /// names none).
    @Test func anErrorCodeFromTheErrorTypeHeaderIsRecorded() throws {
        let body = #"{"Type":"User","Message":"Function not found: arn:aws:lambda:us-east-1:123456789012:function:missing"}"#
        let answer = "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
            + "x-amzn-ErrorType: ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.lambda/\r\n"
            + "x-amzn-RequestId: R404\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        let upstream = try ScriptedUpstream([.bytes(answer)])
        let proxy = try upstream.proxy()
        let host = "lambda.us-east-1.amazonaws.com"
        let request = "GET /2015-03-31/functions/missing HTTP/1.1\r\nHost: \(host)\r\n\r\n"
        let result = try TunnelClient.run(proxy, host: host, [.send(request), .until(":function:missing\"}"), .close])
        #expect(result.received == answer, "\(result.received.debugDescription)")
        #expect(upstream.requests == [request])
        try #require(Self.waitFor { proxy.calls.count == 1 }, "\(proxy.calls)")
        let call = try #require(proxy.calls.first)
        #expect(call.service == "lambda")
        #expect(call.operation == "GetFunction")
        #expect(call.parameters?["FunctionName"] == "missing")
        #expect(call.httpStatus == 404)
        #expect(call.errorCode == "ResourceNotFoundException")
        Self.expectCounted(proxy, exchanges: 1)
    }

    /// An HTTP/1.0 request (no keep-alive) is answered, and then the connection is closed; the
    /// upstream is not asked to keep its connection either.
    @Test func anHTTP10RequestIsAnsweredThenTheConnectionCloses() throws {
        let upstream = try ScriptedUpstream([.bytes("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhttp10")])
        let proxy = try upstream.proxy()
        let request = "GET /http10 HTTP/1.0\r\nHost: \(Self.bucketHost)\r\n\r\n"
        let result = try TunnelClient.run(proxy, host: Self.bucketHost, [.send(request)])
        #expect(result.closed, "the client's connection stayed open: \(result.received.debugDescription)")
        #expect(result.received.hasPrefix("HTTP/1.1 200 OK\r\n") || result.received.hasPrefix("HTTP/1.0 200 OK\r\n"),
                "\(result.received.debugDescription)")
        #expect(result.received.hasSuffix("\r\n\r\nhttp10"), "\(result.received.debugDescription)")
        let sent = try #require(upstream.requests.first)
        #expect(upstream.requests.count == 1)
        #expect(sent.hasPrefix("GET /http10 HTTP/1."), "\(sent.debugDescription)")
        let lowered = sent.lowercased()
        #expect(lowered.hasPrefix("get /http10 http/1.0\r\n") && !lowered.contains("keep-alive") || lowered.contains("\r\nconnection: close\r\n"),
                "\(sent.debugDescription)")
        try #require(Self.waitFor { proxy.calls.count == 1 }, "\(proxy.calls)")
        #expect(proxy.calls.first?.parameters?["Key"] == "http10")
        #expect(proxy.calls.first?.httpStatus == 200)
        Self.expectCounted(proxy, exchanges: 1)
    }

    /// An upstream that closes the connection before answering: the client gets a 502 that says
    /// so, and it is counted as an upstream failure (no call: nothing answered it).
    @Test(arguments: [false, true])
    func anUpstreamThatClosesBeforeAnsweringGetsTheClientA502SayingWhy(tls: Bool) throws {
        let upstream = try ScriptedUpstream([.init([.close])], tls: tls)
        let proxy = try upstream.proxy()
        let request = "GET /unanswered HTTP/1.1\r\nHost: \(Self.bucketHost)\r\n\r\n"
        let result = try TunnelClient.run(proxy, host: Self.bucketHost, [.send(request)])
        #expect(result.received.hasPrefix("HTTP/1.1 502 "), "\(result.received.debugDescription)")
        let body = Self.body(of: result.received)
        #expect(body.contains("closed the connection before it answered"), "\(body.debugDescription)")
        #expect(body.contains(":\(upstream.port)"), "\(body.debugDescription)")
        #expect(result.closed)
        #expect(upstream.requests == [request])
        #expect(Self.waitFor { proxy.statistics.upstreamFailures == 1 }, "\(proxy.statistics)")
        #expect(proxy.statistics.lastUpstreamFailure?.contains("closed the connection before it answered") == true)
        #expect(proxy.calls.isEmpty, "\(proxy.calls)")
        #expect(proxy.statistics.exchanges == 0)
        #expect(proxy.statistics.rejected.isEmpty, "\(proxy.statistics.rejected)")
    }

    /// An answer cut off inside its body (fewer bytes than its Content-Length, then the upstream
    /// closes): the client gets what came and then its connection is closed, so that it can tell
    /// the body is short; nothing is made up to complete it.
    @Test func anAnswerCutOffInsideItsBodyClosesTheClientsConnection() throws {
        let partial = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nfour"
        let upstream = try ScriptedUpstream([.init([.send(partial), .sleep(0.05), .close])])
        let proxy = try upstream.proxy()
        let request = "GET /cut-off HTTP/1.1\r\nHost: \(Self.bucketHost)\r\n\r\n"
        let result = try TunnelClient.run(proxy, host: Self.bucketHost, [.send(request)])
        #expect(result.closed, "the client's connection stayed open: \(result.received.debugDescription)")
        #expect(result.received == partial, "\(result.received.debugDescription)")
        #expect(upstream.requests == [request])
        #expect(proxy.statistics.rejected.isEmpty, "\(proxy.statistics.rejected)")
    }

    /// A `101 Switching Protocols` turns the connection into a tunnel: what follows passes both
    /// ways as it is, even bytes the relay would refuse as a request (a line without a colon),
    /// and only the upgrade itself is recorded.
    @Test func aSwitchOfProtocolsTurnsTheConnectionIntoATunnel() throws {
        let switched = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n"
        let inside = "tunnelled: not an HTTP message"
        let upstream = try ScriptedUpstream([.bytes(switched), .bytes(inside)])
        let proxy = try upstream.proxy()
        let upgrade = "GET /upgrade HTTP/1.1\r\nHost: \(Self.bucketHost)\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n"
        // Framed, this would be a malformed request (a header line without a colon) and get a 400.
        let after = "GET /inside HTTP/1.1\r\nno colon here\r\n\r\n"
        let result = try TunnelClient.run(proxy, host: Self.bucketHost, [
            .send(upgrade), .until(switched), .send(after), .until(inside), .close,
        ])
        #expect(result.timeouts.isEmpty, "\(result.received.debugDescription)")
        #expect(result.received == switched + inside, "\(result.received.debugDescription)")
        #expect(upstream.requests == [upgrade, after], "\(upstream.requests)")
        #expect(Self.waitFor { proxy.calls.count == 1 }, "\(proxy.calls)")
        #expect(proxy.calls.first?.httpStatus == 101)
        #expect(proxy.statistics.rejected.isEmpty, "\(proxy.statistics.rejected)")
    }

    /// A response that could be framed two ways is not passed on: the client gets a 502 that says
    /// what was wrong with it, counted as an upstream failure.
    @Test func aMalformedAnswerGetsTheClientA502SayingWhy() throws {
        let upstream = try ScriptedUpstream([.bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!")])
        let proxy = try upstream.proxy()
        let request = "GET /two-lengths HTTP/1.1\r\nHost: \(Self.bucketHost)\r\n\r\n"
        let result = try TunnelClient.run(proxy, host: Self.bucketHost, [.send(request)])
        #expect(result.received.hasPrefix("HTTP/1.1 502 "), "\(result.received.debugDescription)")
        #expect(Self.body(of: result.received).contains("sent a malformed response: two different Content-Length values"),
                "\(result.received.debugDescription)")
        #expect(!result.received.contains("hello"))
        #expect(result.closed)
        #expect(Self.waitFor { proxy.statistics.upstreamFailures == 1 }, "\(proxy.statistics)")
        #expect(proxy.calls.isEmpty, "\(proxy.calls)")
    }
}
