import Foundation
@testable import IAMScribeProxy
import IAMScribeCore
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import NIOSSL
import Synchronization
import Testing

/// Whether Go is installed (Scripts/setup installs golang-go).
private let goAvailable = (try? ProxyTestSupport.run(["/bin/sh", "-c", "command -v go"]).status) == 0

/// HTTP/2 from the proxy to the endpoint, for an HTTP/2 client's streams, and HTTP/2 uploads
/// without a `content-length` to an HTTP/1.1 endpoint. The endpoint is Go's net/http over TLS
/// (Tests/Clients/go/src/iamscribe-h2-endpoint: HTTP/2 unless started with -h1), which answers
/// with what it saw (`r.Proto`, the client's port, the length and framing of the body); the
/// clients are curl and Go programs of the same binary, through the proxy with `--forward-to`.
@Suite(.enabled(if: ProxyTestSupport.available && goAvailable, "needs curl, python3 and go (Scripts/setup)"))
struct HTTP2UpstreamTests {
    /// The Go binary: the endpoint (`server`) and the `duplex` and `upload` clients.
    /// Built into this checkout's .build (as the end-to-end tests do): under the shared temporary
    /// folder, another checkout's build of another version of the source would replace it.
    static let tool: Result<String, TestFailure> = {
        let script = ProxyTestSupport.root.appendingPathComponent("Tests/Clients/go/build-h2-endpoint.sh").path
        let binary = ProxyTestSupport.root.appendingPathComponent(".build/iamscribe-clients/iamscribe-h2-endpoint").path
        guard let output = try? ProxyTestSupport.run([script, binary]), output.status == 0 else {
            return .failure(TestFailure("Tests/Clients/go/build-h2-endpoint.sh failed"))
        }
        return .success(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }()

    /// The Go endpoint on a free loopback port, with a `localhost` certificate from a CA of its own.
    final class Endpoint {
        let folder: String
        let caFile: String
        let port: Int
        private let process: Process

        /// - Parameter goAwayAfter: when given, the endpoint ends each connection with a
        ///   graceful `GOAWAY` on its Nth request.
        init(http1Only: Bool = false, goAwayAfter: Int? = nil) throws {
            (folder, caFile) = try ProxyTestSupport.localhostCertificate("h2-endpoint")
            process = Process()
            process.executableURL = URL(fileURLWithPath: try HTTP2UpstreamTests.tool.get())
            process.arguments = ["server", "-cert", folder + "/server.pem", "-key", folder + "/server-key.pem"] + (http1Only ? ["-h1"] : [])
                + (goAwayAfter.map { ["-goaway-after", String($0)] } ?? [])
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            guard line.hasPrefix("port "), let port = Int(line.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)) else {
                kill(process.processIdentifier, SIGKILL)
                throw TestFailure("the Go endpoint did not print its port: \(line.debugDescription)")
            }
            self.port = port
        }

        var url: String { "https://localhost:\(port)" }
        var pid: Int32 { process.processIdentifier }

        /// A proxy that sends every intercepted request here, trusting this endpoint's CA.
        func proxy() throws -> RunningProxy {
            try RunningProxy(forwardTo: url, upstreamCAFile: caFile)
        }

        deinit {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    /// curl through the proxy with HTTP/2 asked for; prints `%{http_version} %{http_code}` after
    /// each transfer's body.
    func curl(_ proxy: RunningProxy, _ arguments: [String]) throws -> ProxyTestSupport.Output {
        try ProxyTestSupport.run(["curl", "-sS", "--max-time", "60", "--http2", "--proxy", proxy.url, "--cacert", proxy.bundle,
                                  "-w", "\n%{http_version} %{http_code}\n", "--aws-sigv4", "aws:amz:us-east-1:s3",
                                  "--user", "AKIAIOSFODNN7EXAMPLE:example-secret-never-written"] + arguments)
    }

    /// Every JSON answer of the endpoint in an output (parallel transfers' bodies may share a line).
    func answers(_ output: String) -> [[String: Any]] {
        output.components(separatedBy: "{").dropFirst().compactMap { piece in
            guard let end = piece.firstIndex(of: "}") else { return nil }
            let text = "{" + piece[..<end] + "}"
            return try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        }
    }

    /// The client port of an endpoint's answer: one per upstream connection.
    func port(_ answer: [String: Any]) -> String? {
        (answer["remote"] as? String)?.split(separator: ":").last.map(String.init)
    }

    /// A Go client of the tool through the proxy, trusting the proxy's bundle.
    func goClient(_ proxy: RunningProxy, _ arguments: [String]) throws -> ProxyTestSupport.Output {
        try ProxyTestSupport.run([try Self.tool.get(), arguments[0], "-proxy", proxy.url, "-ca", proxy.bundle] + arguments.dropFirst())
    }

    @Test func anHTTP2ClientReachesAnHTTP2EndpointOverHTTP2() throws {
        let endpoint = try Endpoint()
        let proxy = try endpoint.proxy()
        let folder = try ProxyTestSupport.temporaryFolder("h2-up-body")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "hello over h2, both ways".write(toFile: folder + "/body.txt", atomically: true, encoding: .utf8)
        let result = try curl(proxy, ["-T", folder + "/body.txt", "https://h2-bucket.s3.us-east-1.amazonaws.com/reports/up.txt"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasSuffix("\n2 200\n"), "\(result.stdout)")
        let answer = try #require(answers(result.stdout).first, "\(result.stdout)")
        #expect(answer["proto"] as? String == "HTTP/2.0")
        #expect(answer["received"] as? Int == 24)
        #expect(answer["method"] as? String == "PUT")
        #expect(answer["path"] as? String == "/reports/up.txt")
        // The client's :authority went upstream as :authority (SigV4 signs it as host).
        #expect(answer["host"] as? String == "h2-bucket.s3.us-east-1.amazonaws.com", "\(result.stdout)")
        try #require(ProxyTests.waitFor { proxy.calls.count == 1 })
        let call = try #require(proxy.calls.first)
        #expect(call.operation == "PutObject")
        #expect(call.httpStatus == 200)
        #expect(call.parameters?["Bucket"] == "h2-bucket")
        #expect(call.parameters?["Key"] == "reports/up.txt")
        #expect(proxy.statistics.http2UpstreamConnections == 1)
        #expect(proxy.statistics.http2UpstreamStreams == 1)
    }

    @Test func aLargeUploadStreamsThroughAnUpstreamHTTP2Stream() throws {
        let endpoint = try Endpoint()
        let proxy = try endpoint.proxy()
        let folder = try ProxyTestSupport.temporaryFolder("h2-up-large")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let size = 64 << 20
        let file = try ProxyTestSupport.sparseFile(in: folder, size: size)
        let result = try curl(proxy, ["-T", file, "https://large-bucket.s3.us-east-1.amazonaws.com/large-up.bin"])
        #expect(result.stdout.hasSuffix("\n2 200\n"), "\(result.stdout) \(result.stderr)")
        let answer = try #require(answers(result.stdout).first, "\(result.stdout)")
        #expect(answer["proto"] as? String == "HTTP/2.0")
        #expect(answer["received"] as? Int == size)
        #expect(answer["contentLength"] as? Int == size)
        try #require(ProxyTests.waitFor { proxy.calls.count == 1 })
        #expect(proxy.calls.first?.parameters?["Key"] == "large-up.bin")
    }

    @Test func aLargeDownloadStreamsThroughAnUpstreamHTTP2Stream() throws {
        let endpoint = try Endpoint()
        let proxy = try endpoint.proxy()
        let size = 64 << 20
        let result = try ProxyTestSupport.run([
            "curl", "-sS", "--max-time", "60", "--http2", "--proxy", proxy.url, "--cacert", proxy.bundle, "-o", "/dev/null",
            "-w", "%{http_version} %{http_code} %{size_download}", "--aws-sigv4", "aws:amz:us-east-1:s3",
            "--user", "AKIAIOSFODNN7EXAMPLE:secret", "https://large-bucket.s3.us-east-1.amazonaws.com/bytes/\(size)",
        ])
        #expect(result.stdout == "2 200 \(size)", "\(result.stdout) \(result.stderr)")
        #expect(proxy.statistics.http2UpstreamStreams == 1)
        try #require(ProxyTests.waitFor { proxy.calls.count == 1 })
        #expect(proxy.calls.first?.operation == "GetObject")
    }

    @Test func concurrentStreamsShareOneUpstreamHTTP2Connection() throws {
        let endpoint = try Endpoint()
        let proxy = try endpoint.proxy()
        let urls = (1...6).map { "https://shared.s3.us-east-1.amazonaws.com/key\($0)" }
        let result = try curl(proxy, ["--parallel", "--parallel-max", "6"] + urls)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.components(separatedBy: "\n2 200\n").count - 1 == 6, "\(result.stdout)")
        let seen = answers(result.stdout)
        #expect(seen.count == 6, "\(result.stdout)")
        #expect(seen.allSatisfy { $0["proto"] as? String == "HTTP/2.0" }, "\(result.stdout)")
        // One upstream connection (one client port) carried all six streams.
        #expect(Set(seen.compactMap(port)).count == 1, "\(result.stdout)")
        try #require(ProxyTests.waitFor { proxy.calls.count == 6 })
        #expect(Set(proxy.calls.compactMap { $0.parameters?["Key"] }) == Set((1...6).map { "key\($0)" }))
        #expect(proxy.statistics.connections == 1)
        #expect(proxy.statistics.http2UpstreamConnections == 1)
        #expect(proxy.statistics.http2UpstreamStreams == 6)
    }

    @Test func aBidirectionalStreamFlowsBothWaysAtOnce() throws {
        let endpoint = try Endpoint()
        let proxy = try endpoint.proxy()
        // The Go client writes chunk n only after the echo of chunk n-1 came back, and ends its
        // request only after the last echo: it finishes only if the response flows while the
        // request is still being sent.
        let output = try goClient(proxy, [
            "duplex", "-chunks", "5",
            "-url", "https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.nova-sonic-v1/invoke-with-bidirectional-stream",
        ])
        #expect(output.status == 0, "\(output.stdout) \(output.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], "\(output.stdout) \(output.stderr)")
        #expect(result["clientProto"] as? String == "HTTP/2.0")
        #expect(result["status"] as? Int == 200)
        #expect((result["first"] as? String)?.hasPrefix("proto HTTP/2.0 ") == true, "\(output.stdout)")
        #expect(result["echoedBeforeRequestEnded"] as? [String] == (0..<5).map { "echo chunk \($0)" }, "\(output.stdout)")
        try #require(ProxyTests.waitFor { proxy.calls.count == 1 })
        let call = try #require(proxy.calls.first)
        #expect(call.operation == "InvokeModelWithBidirectionalStream")
        #expect(call.parameters?["modelId"] == "amazon.nova-sonic-v1")
        #expect(proxy.statistics.http2UpstreamStreams == 1)
        // Not held for a length: an HTTP/2 upstream needs none.
        #expect(proxy.statistics.uploadsGivenLength == 0 && proxy.statistics.uploadsSentChunked == 0, "\(proxy.statistics)")
    }

    @Test func anAnswerThatEndsBeforeTheRequestLetsTheRequestGoOn() throws {
        let endpoint = try EarlyAnswerEndpoint()
        let proxy = try RunningProxy(forwardTo: "https://localhost:\(endpoint.port)", upstreamCAFile: endpoint.caFile)
        // The endpoint answers and ends its answer on the request's headers; the client then
        // sends three more chunks and ends its request: they must all reach the endpoint.
        let output = try goClient(proxy, [
            "early", "-chunks", "3",
            "-url", "https://bedrock-runtime.us-east-1.amazonaws.com/model/early-model/invoke-with-bidirectional-stream",
        ])
        #expect(output.status == 0, "\(output.stdout) \(output.stderr)")
        #expect(output.stdout.contains(#""body":"early\n""#), "\(output.stdout)")
        #expect(output.stdout.contains(#""clientProto":"HTTP/2.0""#), "\(output.stdout)")
        let complete = "chunk 0\nafter 1\nafter 2\nafter 3\n"
        #expect(ProxyTests.waitFor { endpoint.seen.ended.withLock { $0 } }, "the request never ended upstream")
        #expect(endpoint.seen.body.withLock { $0 } == complete)
        try #require(ProxyTests.waitFor { proxy.calls.count == 1 })
        #expect(proxy.calls.first?.operation == "InvokeModelWithBidirectionalStream")
        #expect(proxy.statistics.upstreamFailures == 0, "\(proxy.statistics)")
        #expect(proxy.statistics.http2StreamsReset.isEmpty, "\(proxy.statistics)")
    }

    @Test func aStreamResetUpstreamEndsThatStreamAlone() throws {
        let endpoint = try Endpoint()
        let proxy = try endpoint.proxy()
        // One client connection: the first stream is reset by the endpoint, the second answers.
        let result = try curl(proxy, ["https://reset.s3.us-east-1.amazonaws.com/first/reset",
                                      "https://reset.s3.us-east-1.amazonaws.com/second"])
        #expect(result.stdout.contains("\n2 502\n"), "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.hasSuffix("\n2 200\n"), "\(result.stdout) \(result.stderr)")
        #expect(answers(result.stdout).first?["proto"] as? String == "HTTP/2.0", "\(result.stdout)")
        #expect(proxy.statistics.connections == 1)
        // The upstream connection outlived its stream's reset.
        #expect(proxy.statistics.http2UpstreamConnections == 1, "\(proxy.statistics)")
        #expect(proxy.statistics.upstreamFailures == 1, "\(proxy.statistics)")
        try #require(ProxyTests.waitFor { proxy.calls.count == 1 })
        #expect(proxy.calls.first?.parameters?["Key"] == "second")
    }

    @Test func upstreamHTTP2GoesThroughTheUpstreamProxy() throws {
        let endpoint = try Endpoint()
        // The corporate proxy: another proxy that only tunnels localhost.
        let corporate = try RunningProxy()
        let proxy = try RunningProxy(forwardTo: endpoint.url, upstreamCAFile: endpoint.caFile, upstreamProxy: corporate.url)
        let urls = (1...3).map { "https://chained.s3.us-east-1.amazonaws.com/key\($0)" }
        let result = try curl(proxy, ["--parallel", "--parallel-max", "3"] + urls)
        #expect(result.status == 0, "\(result.stderr)")
        let seen = answers(result.stdout)
        #expect(seen.count == 3 && seen.allSatisfy { $0["proto"] as? String == "HTTP/2.0" }, "\(result.stdout)")
        #expect(Set(seen.compactMap(port)).count == 1, "\(result.stdout)")
        #expect(proxy.statistics.http2UpstreamConnections == 1)
        #expect(corporate.statistics.tunnelled == 1)
        try #require(ProxyTests.waitFor { proxy.calls.count == 3 })
    }

    @Test func aFailedUpstreamConnectionGivesEachOpenStreamA502() throws {
        let endpoint = try Endpoint()
        let proxy = try endpoint.proxy()
        // Three streams wait on one upstream HTTP/2 connection; the endpoint dies under them.
        let source = proxy.source
        let pid = endpoint.pid
        let killer = Thread {
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                if case .proxy(let statistics) = source.statistics, statistics.http2UpstreamStreams >= 3 { break }
                usleep(20_000)
            }
            usleep(500_000)
            kill(pid, SIGKILL)
        }
        killer.start()
        let urls = (1...3).map { "https://dying.s3.us-east-1.amazonaws.com/key\($0)/hang" }
        let result = try curl(proxy, ["--parallel", "--parallel-max", "3"] + urls)
        #expect(result.stdout.components(separatedBy: "\n2 502\n").count - 1 == 3, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("closed the connection before it answered"), "\(result.stdout)")
        #expect(proxy.statistics.upstreamFailures == 3, "\(proxy.statistics)")
        #expect(proxy.statistics.http2UpstreamConnections == 1)
        #expect(proxy.statistics.connections == 1)
    }

    @Test func aFailedUpstreamConnectionResetsAStreamWhoseAnswerHadBegun() throws {
        let endpoint = try Endpoint()
        let proxy = try endpoint.proxy()
        let folder = try ProxyTestSupport.temporaryFolder("h2-partial")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // Two streams on one upstream connection: one answer begun ("partial"), one not begun.
        // The endpoint dies once the first line of the begun one has reached the client.
        let outputFile = folder + "/out.txt"
        _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        curl.arguments = ["curl", "-sS", "-N", "--max-time", "60", "--http2", "--proxy", proxy.url, "--cacert", proxy.bundle,
                          "-w", "\n%{http_version} %{http_code}\n", "--parallel", "--parallel-max", "2",
                          "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "AKIAIOSFODNN7EXAMPLE:secret",
                          "https://dying.s3.us-east-1.amazonaws.com/begun/partial",
                          "https://dying.s3.us-east-1.amazonaws.com/waiting/hang"]
        curl.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile))
        curl.standardError = FileHandle.nullDevice
        try curl.run()
        let source = proxy.source
        let begun = ProxyTests.waitFor(timeout: 30) {
            guard case .proxy(let statistics) = source.statistics, statistics.http2UpstreamStreams >= 2 else { return false }
            return (try? String(contentsOfFile: outputFile, encoding: .utf8))?.contains("partial") == true
        }
        kill(endpoint.pid, SIGKILL)
        curl.waitUntilExit()
        let output = (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? ""
        #expect(begun, "\(output)")
        // The begun answer was cut off (curl: the HTTP/2 stream was not closed cleanly, 92);
        // the other got the 502.
        #expect(curl.terminationStatus == 92, "\(curl.terminationStatus) \(output)")
        #expect(output.contains("\n2 502\n"), "\(output)")
        #expect(output.contains("closed the connection before it answered"), "\(output)")
        #expect(proxy.statistics.upstreamFailures == 1, "\(proxy.statistics)")
        #expect(proxy.statistics.http2UpstreamConnections == 1)
    }

    @Test func anUntrustedHTTP2EndpointGetsA502ThatSaysWhy() throws {
        let endpoint = try Endpoint()
        // The endpoint's CA not added: verification fails, and the stream says why.
        let proxy = try RunningProxy(forwardTo: endpoint.url)
        let result = try curl(proxy, ["https://untrusted.s3.us-east-1.amazonaws.com/key"])
        #expect(result.stdout.hasSuffix("\n2 502\n"), "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("failed verification"), "\(result.stdout)")
        #expect(proxy.statistics.upstreamFailures == 1)
        #expect(proxy.statistics.http2UpstreamConnections == 0)
    }

    @Test func anHTTP1OnlyEndpointStillServesHTTP2ClientsOverOnePooledConnection() throws {
        let endpoint = try Endpoint(http1Only: true)
        let proxy = try endpoint.proxy()
        let urls = (1...3).map { "https://older.s3.us-east-1.amazonaws.com/key\($0)" }
        let result = try curl(proxy, urls)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.components(separatedBy: "\n2 200\n").count - 1 == 3, "\(result.stdout)")
        let seen = answers(result.stdout)
        #expect(seen.count == 3 && seen.allSatisfy { $0["proto"] as? String == "HTTP/1.1" }, "\(result.stdout)")
        // It chose HTTP/1.1 when offered h2; the connection went back to the pool from stream to stream.
        #expect(Set(seen.compactMap(port)).count == 1, "\(result.stdout)")
        #expect(proxy.statistics.http2UpstreamConnections == 0)
        try #require(ProxyTests.waitFor { proxy.calls.count == 3 })
    }

    @Test func anHTTP2UploadWithoutALengthGetsOneForAnHTTP1Endpoint() throws {
        let endpoint = try Endpoint(http1Only: true)
        let proxy = try endpoint.proxy()
        // io.Pipe as the body: Go's HTTP/2 client sends no content-length.
        let output = try goClient(proxy, ["upload", "-size", "300000", "-url", "https://no-length.s3.us-east-1.amazonaws.com/small.bin"])
        #expect(output.status == 0, "\(output.stdout) \(output.stderr)")
        #expect(output.stdout.hasPrefix("HTTP/2.0 200 "), "\(output.stdout)")
        let answer = try #require(answers(output.stdout).first, "\(output.stdout)")
        #expect(answer["proto"] as? String == "HTTP/1.1")
        #expect(answer["contentLength"] as? Int == 300_000, "\(output.stdout)")
        #expect(answer["transferEncoding"] is NSNull, "\(output.stdout)")
        #expect(answer["received"] as? Int == 300_000)
        #expect(proxy.statistics.uploadsGivenLength == 1, "\(proxy.statistics)")
        #expect(proxy.statistics.uploadsSentChunked == 0, "\(proxy.statistics)")
        try #require(ProxyTests.waitFor { proxy.calls.count == 1 })
        #expect(proxy.calls.first?.operation == "PutObject")
        #expect(proxy.calls.first?.parameters?["Key"] == "small.bin")
    }

    @Test func anHTTP2UploadWithoutALengthLargerThanTheHoldGoesChunked() throws {
        let endpoint = try Endpoint(http1Only: true)
        let proxy = try endpoint.proxy()
        let size = ExchangeHandler.maximumHeldBytes * 3
        let output = try goClient(proxy, ["upload", "-size", String(size), "-url", "https://no-length.s3.us-east-1.amazonaws.com/large.bin"])
        #expect(output.status == 0, "\(output.stdout) \(output.stderr)")
        let answer = try #require(answers(output.stdout).first, "\(output.stdout)")
        #expect(answer["proto"] as? String == "HTTP/1.1")
        #expect(answer["contentLength"] as? Int == -1, "\(output.stdout)")
        #expect(answer["transferEncoding"] as? [String] == ["chunked"], "\(output.stdout)")
        #expect(answer["received"] as? Int == size)
        #expect(proxy.statistics.uploadsSentChunked == 1, "\(proxy.statistics)")
        #expect(proxy.statistics.uploadsGivenLength == 0, "\(proxy.statistics)")
        try #require(ProxyTests.waitFor { proxy.calls.count == 1 })
        #expect(proxy.calls.first?.operation == "PutObject")
    }

    @Test func aSlowUploadWithoutALengthIsHeldNoLongerThanTheHoldTime() throws {
        let endpoint = try Endpoint(http1Only: true)
        let proxy = try endpoint.proxy()
        // 64 KiB, then a pause longer than the hold time, then the rest: it goes on chunked
        // rather than waiting for the end.
        let pause = Int(ExchangeHandler.maximumHoldTime.nanoseconds / 1_000_000) + 1500
        let output = try goClient(proxy, ["upload", "-size", "100000", "-pause", String(pause),
                                          "-url", "https://no-length.s3.us-east-1.amazonaws.com/slow.bin"])
        #expect(output.status == 0, "\(output.stdout) \(output.stderr)")
        let answer = try #require(answers(output.stdout).first, "\(output.stdout)")
        #expect(answer["transferEncoding"] as? [String] == ["chunked"], "\(output.stdout)")
        #expect(answer["received"] as? Int == 100_000)
        #expect(proxy.statistics.uploadsSentChunked == 1, "\(proxy.statistics)")
        try #require(ProxyTests.waitFor { proxy.calls.count == 1 })
    }

    @Test func anHTTP2UploadWithoutALengthToAnHTTP2EndpointIsNotHeld() throws {
        let endpoint = try Endpoint()
        let proxy = try endpoint.proxy()
        let output = try goClient(proxy, ["upload", "-size", "5000", "-url", "https://no-length.s3.us-east-1.amazonaws.com/h2.bin"])
        #expect(output.status == 0, "\(output.stdout) \(output.stderr)")
        let answer = try #require(answers(output.stdout).first, "\(output.stdout)")
        #expect(answer["proto"] as? String == "HTTP/2.0")
        #expect(answer["received"] as? Int == 5000)
        #expect(proxy.statistics.uploadsGivenLength == 0 && proxy.statistics.uploadsSentChunked == 0, "\(proxy.statistics)")
        try #require(ProxyTests.waitFor { proxy.calls.count == 1 })
        #expect(proxy.calls.first?.parameters?["Key"] == "h2.bin")
    }

    @Test func curlsUploadWithoutALengthToMotoStyleHTTP1GetsOne() throws {
        // The Python test server over plain HTTP (as moto is): curl's h2 upload from standard
        // input (no length known) arrives with a content-length.
        let upstream = try TestServer()
        let proxy = try RunningProxy(forwardTo: "http://127.0.0.1:\(upstream.port)")
        let folder = try ProxyTestSupport.temporaryFolder("h2-stdin")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try String(repeating: "x", count: 4096).write(toFile: folder + "/body.txt", atomically: true, encoding: .utf8)
        let result = try ProxyTestSupport.run([
            "/bin/sh", "-c", "curl -sS --max-time 60 --http2 --proxy \(proxy.url) --cacert \(proxy.bundle) -w '\n%{http_version} %{http_code}\n' "
                + "--aws-sigv4 aws:amz:us-east-1:s3 --user AKIAIOSFODNN7EXAMPLE:secret -T - "
                + "https://stdin-bucket.s3.us-east-1.amazonaws.com/from-stdin.txt < \(folder)/body.txt",
        ])
        #expect(result.stdout.hasSuffix("\n2 200\n"), "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains(#""received": 4096"#), "\(result.stdout)")
        #expect(result.stdout.contains(#""contentLength": "4096", "transferEncoding": null"#), "\(result.stdout)")
        #expect(proxy.statistics.uploadsGivenLength == 1, "\(proxy.statistics)")
        try #require(ProxyTests.waitFor { proxy.calls.count == 1 })
        #expect(proxy.calls.first?.parameters?["Key"] == "from-stdin.txt")
    }
}

/// An HTTP/2 endpoint over TLS (SwiftNIO) that answers each request as soon as its headers come,
/// ending its answer at once, then counts the request body that still comes: what Go's net/http
/// cannot do (its answer ends only when its handler returns), and what full duplex allows.
final class EarlyAnswerEndpoint {
    /// What came of the requests after they were answered.
    final class Seen: Sendable {
        let body = Mutex<String>("")
        let ended = Mutex(false)
    }

    let seen = Seen()
    let port: Int
    let caFile: String
    private let folder: String
    private let channel: Channel

    init() throws {
        folder = try ProxyTestSupport.temporaryFolder("early-endpoint")
        let authority = try CertificateAuthority.open(folder: folder)
        let leaf = try authority.leafPEM(for: "localhost")
        caFile = CertificateAuthority.certificatePath(in: folder)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(leaf.certificate.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(leaf.key.utf8), format: .pem)))
        tls.applicationProtocols = ["h2"]
        let context = try NIOSSLContext(configuration: tls)
        let seen = seen
        channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                }.flatMap {
                    channel.configureHTTP2Pipeline(mode: .server) { stream in
                        stream.eventLoop.makeCompletedFuture {
                            try stream.pipeline.syncOperations.addHandler(EarlyAnswerHandler(seen: seen))
                        }
                    }.map { _ in }
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        port = channel.localAddress?.port ?? 0
    }

    deinit {
        try? channel.close().wait()
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// One stream of ``EarlyAnswerEndpoint``: `early` at once, then the request body as it comes.
final class EarlyAnswerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private let seen: EarlyAnswerEndpoint.Seen

    init(seen: EarlyAnswerEndpoint.Seen) {
        self.seen = seen
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .headers(let headers):
            if headers.endStream { seen.ended.withLock { $0 = true } }
            guard headers.headers.first(name: ":status") == nil, headers.headers.first(name: ":method") != nil else { return }
            let answer = context.channel.allocator.buffer(string: "early\n")
            context.write(wrapOutboundOut(.headers(.init(headers: [":status": "200", "content-length": "6"]))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.data(.init(data: .byteBuffer(answer), endStream: true))), promise: nil)
        case .data(let data):
            if case .byteBuffer(let buffer) = data.data {
                seen.body.withLock { $0 += String(buffer: buffer) }
            }
            if data.endStream { seen.ended.withLock { $0 = true } }
        default:
            break
        }
    }
}
