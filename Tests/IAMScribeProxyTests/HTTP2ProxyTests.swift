import Foundation
@testable import IAMScribeProxy
import IAMScribeCore
import Testing

/// HTTP/2 between the client and the proxy (ALPN `h2` on an intercepted connection), HTTP/1.1
/// upstream: curl as the client, the Python test server upstream, and a raw HTTP/2 client
/// (Scripts/lib/h2_raw_client.py) for the protocol errors no real client makes.
@Suite(.enabled(if: ProxyTestSupport.available, "needs curl and python3 (Scripts/setup)"))
struct HTTP2ProxyTests {
    static let rawClient = ProxyTestSupport.root.appendingPathComponent("Scripts/lib/h2_raw_client.py").path

    /// curl through the proxy with HTTP/2 asked for; prints `%{http_version} %{http_code}` after
    /// each transfer's body.
    private func curl(_ proxy: RunningProxy, _ arguments: [String]) throws -> ProxyTestSupport.Output {
        try ProxyTestSupport.run(["curl", "-sS", "--max-time", "60", "--http2", "--proxy", proxy.url, "--cacert", proxy.bundle,
                                  "-w", "\n%{http_version} %{http_code}\n"] + arguments)
    }

    /// The upstream connection (its client port) each JSON answer of the test server names.
    private func peers(_ output: String) -> [Int] {
        // Parallel transfers' bodies may share a line: every occurrence counts.
        output.components(separatedBy: #""peer": "#).dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
    }

    @Test func aSignedUploadOverHTTP2IsRecordedAndForwardedWithItsHost() throws {
        let upstream = try TestServer()
        let proxy = try RunningProxy(forwardTo: "http://127.0.0.1:\(upstream.port)")
        let body = try ProxyTestSupport.temporaryFolder("h2-body") + "/hello.txt"
        try "hello over h2".write(toFile: body, atomically: true, encoding: .utf8)
        let result = try curl(proxy, [
            "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "AKIAIOSFODNN7EXAMPLE:example-secret-never-written",
            "-T", body, "https://h2-bucket.s3.us-east-1.amazonaws.com/reports/h2.txt",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        // curl really spoke HTTP/2 to the proxy.
        #expect(result.stdout.hasSuffix("\n2 200\n"), "\(result.stdout)")
        // Upstream (HTTP/1.1) saw :authority as Host, which SigV4 signs, and the whole body.
        #expect(result.stdout.contains(#""received": 13"#), "\(result.stdout)")
        #expect(result.stdout.contains(#""host": "h2-bucket.s3.us-east-1.amazonaws.com""#), "\(result.stdout)")
        try #require(ProxyTests.waitFor { proxy.calls.count == 1 })
        let call = try #require(proxy.calls.first)
        #expect(call.operation == "PutObject")
        #expect(call.httpStatus == 200)
        #expect(call.parameters?["Bucket"] == "h2-bucket")
        #expect(call.parameters?["Key"] == "reports/h2.txt")
        #expect(proxy.statistics.http2 == 1)
        #expect(proxy.statistics.intercepted == 1)
    }

    @Test func aFailedCallOverHTTP2KeepsItsStatusAndErrorCode() throws {
        let upstream = try TestServer()
        let proxy = try RunningProxy(forwardTo: "http://127.0.0.1:\(upstream.port)")
        let result = try curl(proxy, [
            "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "AKIAIOSFODNN7EXAMPLE:secret",
            "https://denied-bucket.s3.us-east-1.amazonaws.com/status/403",
        ])
        #expect(result.stdout.hasSuffix("\n2 403\n"), "\(result.stdout) \(result.stderr)")
        try #require(ProxyTests.waitFor { proxy.calls.count == 1 })
        #expect(proxy.calls.first?.operation == "GetObject")
        #expect(proxy.calls.first?.httpStatus == 403)
        #expect(proxy.calls.first?.errorCode == "AccessDenied")
    }

    @Test func concurrentStreamsOnOneConnectionEachGetTheirOwnUpstreamExchange() throws {
        let upstream = try TestServer()
        let proxy = try RunningProxy(forwardTo: "http://127.0.0.1:\(upstream.port)")
        // Five requests that each take a second upstream, in parallel over one HTTP/2 connection:
        // done in well under five seconds only if no stream waited for another.
        let urls = (1...5).map { "https://parallel.s3.us-east-1.amazonaws.com/delay/1000/key\($0)" }
        let started = Date()
        let result = try curl(proxy, ["--parallel", "--parallel-max", "5", "--aws-sigv4", "aws:amz:us-east-1:s3",
                                      "--user", "AKIAIOSFODNN7EXAMPLE:secret"] + urls)
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.components(separatedBy: "\n2 200\n").count - 1 == 5, "\(result.stdout)")
        #expect(elapsed < 3.5, "\(elapsed) s")
        #expect(Set(peers(result.stdout)).count == 5, "\(result.stdout)")
        try #require(ProxyTests.waitFor { proxy.calls.count == 5 })
        #expect(Set(proxy.calls.compactMap { $0.parameters?["Key"] }) == Set((1...5).map { "delay/1000/key\($0)" }))
        #expect(proxy.statistics.connections == 1)
        #expect(proxy.statistics.http2 == 1)
    }

    @Test func streamsOneAfterAnotherReuseOneUpstreamConnection() throws {
        let upstream = try TestServer()
        let proxy = try RunningProxy(forwardTo: "http://127.0.0.1:\(upstream.port)")
        let urls = (1...4).map { "https://sequential.s3.us-east-1.amazonaws.com/key\($0)" }
        let result = try curl(proxy, urls)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.components(separatedBy: "\n2 200\n").count - 1 == 4, "\(result.stdout)")
        // One client connection, one upstream connection: the pool handed it from stream to stream.
        #expect(peers(result.stdout).count == 4)
        #expect(Set(peers(result.stdout)).count == 1, "\(result.stdout)")
        #expect(proxy.statistics.connections == 1)
        try #require(ProxyTests.waitFor { proxy.calls.count == 4 })
    }

    @Test func aStreamErrorResetsThatStreamAloneAndTheConnectionGoesOn() throws {
        let upstream = try TestServer()
        let proxy = try RunningProxy(forwardTo: "http://127.0.0.1:\(upstream.port)")
        let output = try ProxyTestSupport.run([
            "python3", Self.rawClient, "--proxy-port", String(proxy.source.port ?? 0), "--host", "sts.us-east-1.amazonaws.com",
            "--cafile", proxy.bundle, "--mode", "stream-error", "--path", "/?Action=GetCallerIdentity&Version=2011-06-15",
        ])
        #expect(output.status == 0, "\(output.stdout) \(output.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], "\(output.stdout)")
        #expect(result["alpn"] as? String == "h2")
        #expect(result["goaway"] == nil, "\(output.stdout)")
        let streams = try #require(result["streams"] as? [String: [String: Any]], "\(output.stdout)")
        // Stream 1 had no :path: reset with PROTOCOL_ERROR (1). Stream 3, on the same connection, answered.
        #expect(streams["1"]?["reset"] as? Int == 1, "\(output.stdout)")
        #expect(streams["3"]?["status"] as? Int == 200, "\(output.stdout)")
        #expect((streams["3"]?["body"] as? String)?.contains(#""host": "sts.us-east-1.amazonaws.com""#) == true, "\(output.stdout)")
        try #require(ProxyTests.waitFor { proxy.calls.count == 1 })
        #expect(proxy.calls.first?.operation == "GetCallerIdentity")
        #expect(proxy.statistics.http2StreamsReset.values.reduce(0, +) == 1, "\(proxy.statistics)")
        #expect(proxy.statistics.rejected.isEmpty, "\(proxy.statistics)")
    }

    @Test func aMalformedHTTP2ConnectionIsCountedAndTheProxyGoesOn() throws {
        let upstream = try TestServer()
        let proxy = try RunningProxy(forwardTo: "http://127.0.0.1:\(upstream.port)")
        let output = try ProxyTestSupport.run([
            "python3", Self.rawClient, "--proxy-port", String(proxy.source.port ?? 0), "--host", "sqs.us-east-1.amazonaws.com",
            "--cafile", proxy.bundle, "--mode", "garbage",
        ])
        #expect(output.status == 0, "\(output.stdout) \(output.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], "\(output.stdout)")
        #expect(result["alpn"] as? String == "h2")
        // PROTOCOL_ERROR (1) in the GOAWAY, then the connection closed.
        #expect(result["goaway"] as? Int == 1, "\(output.stdout)")
        #expect(result["closed"] as? Bool == true, "\(output.stdout)")
        try #require(ProxyTests.waitFor { proxy.statistics.rejected["malformed HTTP/2 connection"] == 1 }, "\(proxy.statistics)")
        // The proxy goes on: a good HTTP/2 call right after is relayed and recorded.
        let good = try curl(proxy, [
            "--aws-sigv4", "aws:amz:us-east-1:sqs", "--user", "AKIAIOSFODNN7EXAMPLE:secret",
            "-d", "Action=CreateQueue&QueueName=after-h2-garbage", "https://sqs.us-east-1.amazonaws.com/",
        ])
        #expect(good.stdout.hasSuffix("\n2 200\n"), "\(good.stdout) \(good.stderr)")
        try #require(ProxyTests.waitFor { proxy.calls.count == 1 })
        #expect(proxy.calls.first?.parameters?["QueueName"] == "after-h2-garbage")
    }

    @Test func anHTTP1ClientStillGetsHTTP1() throws {
        let upstream = try TestServer()
        let proxy = try RunningProxy(forwardTo: "http://127.0.0.1:\(upstream.port)")
        let result = try ProxyTestSupport.run(["curl", "-sS", "--max-time", "60", "--http1.1", "--proxy", proxy.url,
                                               "--cacert", proxy.bundle, "-w", "\n%{http_version} %{http_code}\n",
                                               "https://h1.s3.us-east-1.amazonaws.com/key"])
        #expect(result.stdout.hasSuffix("\n1.1 200\n"), "\(result.stdout) \(result.stderr)")
        #expect(proxy.statistics.http2 == 0)
        try #require(ProxyTests.waitFor { proxy.calls.count == 1 })
    }

    @Test func anEventStreamResponsePassesThroughAsItComes() throws {
        let upstream = try TestServer()
        let proxy = try RunningProxy(forwardTo: "http://127.0.0.1:\(upstream.port)")
        // Five events 400 ms apart: the first reaches the client long before the last is sent.
        let result = try ProxyTestSupport.run([
            "curl", "-sS", "-N", "--max-time", "60", "--http2", "--proxy", proxy.url, "--cacert", proxy.bundle,
            "-w", "\n%{http_version} %{time_starttransfer} %{time_total}",
            "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "AKIAIOSFODNN7EXAMPLE:secret",
            "https://events.s3.us-east-1.amazonaws.com/stream/5/400",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix((0..<5).map { "event \($0)\n" }.joined()), "\(result.stdout)")
        let figures = (result.stdout.split(separator: "\n").last ?? "").split(separator: " ")
        #expect(figures.first == "2", "\(result.stdout)")
        let firstByte = figures.count == 3 ? Double(figures[1]) ?? 99 : 99
        let total = figures.count == 3 ? Double(figures[2]) ?? 0 : 0
        #expect(total >= 1.5 && total - firstByte >= 1.2, "first byte after \(firstByte) s, all after \(total) s")
        try #require(ProxyTests.waitFor { proxy.calls.count == 1 })
    }

    @Test func aLargeUploadOverHTTP2StreamsThrough() throws {
        let upstream = try TestServer()
        let proxy = try RunningProxy(forwardTo: "http://127.0.0.1:\(upstream.port)")
        let folder = try ProxyTestSupport.temporaryFolder("h2-large")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let size = 64 << 20
        let file = try ProxyTestSupport.sparseFile(in: folder, size: size)
        let result = try curl(proxy, [
            "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "AKIAIOSFODNN7EXAMPLE:secret",
            "-T", file, "https://large-bucket.s3.us-east-1.amazonaws.com/large-h2.bin",
        ])
        #expect(result.stdout.contains(#""received": \#(size)"#), "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.hasSuffix("\n2 200\n"))
        try #require(ProxyTests.waitFor { proxy.calls.count == 1 })
        #expect(proxy.calls.first?.parameters?["Key"] == "large-h2.bin")
    }
}
