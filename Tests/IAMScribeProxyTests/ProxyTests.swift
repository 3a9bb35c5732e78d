import Foundation
@testable import IAMScribeProxy
import IAMScribeCore
import Testing

/// The proxy in-process, with curl as the client and the Python test server upstream (plain
/// HTTP, or TLS with a certificate from a CA of the test's own).
@Suite(.enabled(if: ProxyTestSupport.available, "needs curl and python3 (Scripts/setup)"))
struct ProxyTests {
    /// A TLS upstream for `localhost` whose certificate a separate CA (not the proxy's) signed.
    final class TLSUpstream {
        let folder: String
        let caFile: String
        let server: TestServer

        init() throws {
            (folder, caFile) = try ProxyTestSupport.localhostCertificate("upstream-ca")
            server = try TestServer(certificate: folder + "/server.pem", key: folder + "/server-key.pem")
        }

        deinit { try? FileManager.default.removeItem(atPath: folder) }
    }

    @Test func aSignedS3UploadIsDecryptedForwardedAndRecorded() throws {
        let upstream = try TestServer()
        let proxy = try RunningProxy(forwardTo: "http://127.0.0.1:\(upstream.port)")
        let body = try ProxyTestSupport.temporaryFolder("body") + "/hello.txt"
        try "hello".write(toFile: body, atomically: true, encoding: .utf8)
        let result = try proxy.curl([
            "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "AKIAIOSFODNN7EXAMPLE:example-secret-never-written",
            "-T", body, "https://proxy-bucket.s3.us-east-1.amazonaws.com/reports/hello.txt",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasSuffix("\n200"), "\(result.stdout)")
        // The upstream saw the request's own host (SigV4 signs it) and the whole body.
        #expect(result.stdout.contains(#""received": 5"#))
        #expect(result.stdout.contains(#""host": "proxy-bucket.s3.us-east-1.amazonaws.com""#))
        try #require(Self.waitFor { proxy.calls.count == 1 })
        let call = try #require(proxy.calls.first)
        #expect(call.source == .proxy)
        #expect(call.service == "s3")
        #expect(call.operation == "PutObject")
        #expect(call.region == "us-east-1")
        #expect(call.httpStatus == 200)
        #expect(call.parameters?["Bucket"] == "proxy-bucket")
        #expect(call.parameters?["Key"] == "reports/hello.txt")
        #expect(call.accessKeyID?.description.contains("IOSFODNN7EXAMPLE") == false)
        #expect(proxy.statistics.intercepted == 1)
        #expect(proxy.statistics.tunnelled == 0)
    }

    @Test func aFailedCallKeepsItsStatusAndErrorCode() throws {
        let upstream = try TestServer()
        let proxy = try RunningProxy(forwardTo: "http://127.0.0.1:\(upstream.port)")
        let result = try proxy.curl([
            "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "AKIAIOSFODNN7EXAMPLE:example-secret-never-written",
            "https://denied-bucket.s3.us-east-1.amazonaws.com/status/403",
        ])
        #expect(result.stdout.hasSuffix("\n403"), "\(result.stdout) \(result.stderr)")
        try #require(Self.waitFor { proxy.calls.count == 1 })
        let call = try #require(proxy.calls.first)
        #expect(call.operation == "GetObject")
        #expect(call.httpStatus == 403)
        #expect(call.errorCode == "AccessDenied")
    }

    @Test func aNonAWSHostIsTunnelledWithItsOwnCertificate() throws {
        let upstream = try TLSUpstream()
        let proxy = try RunningProxy(forwardTo: "http://127.0.0.1:1")
        // Trusting only the upstream's own CA: this passes only if the proxy did not touch the TLS.
        let result = try proxy.curl(["https://localhost:\(upstream.server.port)/tunnelled"], caFile: upstream.caFile)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasSuffix("\n200"), "\(result.stdout)")
        #expect(result.stdout.contains(#""path": "/tunnelled""#))
        #expect(proxy.statistics.tunnelled == 1)
        #expect(proxy.statistics.intercepted == 0)
        #expect(proxy.calls.isEmpty)
    }

    @Test func anUpstreamCertificateThatFailsVerificationGetsA502SayingWhy() throws {
        let upstream = try TLSUpstream()
        // localhost intercepted, its certificate signed by a CA the proxy does not trust.
        let proxy = try RunningProxy(intercept: ["localhost"])
        let result = try proxy.curl(["https://localhost:\(upstream.server.port)/"])
        #expect(result.stdout.hasSuffix("\n502"), "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("failed verification"))
        #expect(result.stdout.contains("--upstream-ca"))
        #expect(proxy.statistics.upstreamFailures == 1)
        #expect(proxy.statistics.lastUpstreamFailure?.contains("localhost:\(upstream.server.port)") == true)

        // Given that CA with --upstream-ca, the same request passes, decrypted on both sides.
        let trusting = try RunningProxy(intercept: ["localhost"], upstreamCAFile: upstream.caFile)
        let passed = try trusting.curl(["https://localhost:\(upstream.server.port)/verified"])
        #expect(passed.stdout.hasSuffix("\n200"), "\(passed.stdout) \(passed.stderr)")
        #expect(passed.stdout.contains(#""path": "/verified""#))
        #expect(trusting.statistics.upstreamFailures == 0)
        #expect(trusting.statistics.exchanges == 1)
    }

    @Test func upstreamConnectionsGoThroughTheUpstreamProxy() throws {
        let upstream = try TLSUpstream()
        // The corporate proxy: another proxy that only tunnels localhost.
        let corporate = try RunningProxy()
        let proxy = try RunningProxy(intercept: ["localhost"], upstreamCAFile: upstream.caFile, upstreamProxy: corporate.url)
        let result = try proxy.curl(["https://localhost:\(upstream.server.port)/chained"])
        #expect(result.stdout.hasSuffix("\n200"), "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains(#""path": "/chained""#))
        #expect(proxy.statistics.intercepted == 1)
        #expect(corporate.statistics.tunnelled == 1)
        #expect(corporate.statistics.connections == 1)

        // A proxy that refuses: the 502 says what it answered.
        let refusing = try TestServer()
        let refused = try RunningProxy(intercept: ["localhost"], upstreamProxy: "http://127.0.0.1:\(refusing.port)")
        let answer = try refused.curl(["https://localhost:\(upstream.server.port)/"])
        #expect(answer.stdout.hasSuffix("\n502"), "\(answer.stdout)")
        #expect(answer.stdout.contains("refused CONNECT localhost:\(upstream.server.port)"), "\(answer.stdout)")
    }

    @Test func anUnreachableUpstreamGetsA502() throws {
        let port = Int(TestSupportPort.free())
        let proxy = try RunningProxy(forwardTo: "http://127.0.0.1:\(port)")
        let result = try proxy.curl(["https://sqs.us-east-1.amazonaws.com/"])
        #expect(result.stdout.hasSuffix("\n502"), "\(result.stdout)")
        #expect(result.stdout.contains("could not reach 127.0.0.1:\(port)"))
    }

    @Test func pipelinedPlainRequestsAreAnsweredInOrderOverOneConnection() throws {
        let upstream = try TestServer()
        let proxy = try RunningProxy(forwardTo: "http://127.0.0.1:\(upstream.port)")
        var requests = ""
        for index in 1...3 {
            requests += "GET http://pipelined.s3.us-east-1.amazonaws.com/key\(index) HTTP/1.1\r\nHost: pipelined.s3.us-east-1.amazonaws.com\r\n\r\n"
        }
        requests += "GET http://pipelined.s3.us-east-1.amazonaws.com/last HTTP/1.1\r\nHost: pipelined.s3.us-east-1.amazonaws.com\r\nConnection: close\r\n\r\n"
        let answer = try RawSocket.exchange(port: proxy.source.port ?? 0, send: Array(requests.utf8))
        let statuses = answer.components(separatedBy: "HTTP/1.1 200").count - 1
        #expect(statuses == 4, "\(answer)")
        let paths = ["/key1", "/key2", "/key3", "/last"].compactMap { answer.range(of: "\"path\": \"\($0)\"")?.lowerBound }
        #expect(paths.count == 4)
        #expect(paths == paths.sorted())
        try #require(Self.waitFor { proxy.calls.count == 4 })
        #expect(Set(proxy.calls.compactMap { $0.parameters?["Key"] }) == ["key1", "key2", "key3", "last"])
        #expect(proxy.statistics.connections == 1)
    }

    /// A Python TLS client through a `CONNECT` tunnel: sends `payload` (escaped as Python
    /// bytes; each `@BODY@` in it becomes `bodySize` bytes) once the tunnel's TLS is up, and
    /// prints what came back until the proxy closed.
    static func throughTunnel(_ proxy: RunningProxy, host: String, payload: String, bodySize: Int = 0) throws -> ProxyTestSupport.Output {
        let script = """
        import socket, ssl, sys
        port, host, bundle = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        raw = socket.create_connection(("127.0.0.1", port), timeout=30)
        raw.sendall(f"CONNECT {host}:443 HTTP/1.1\\r\\nHost: {host}:443\\r\\n\\r\\n".encode())
        answer = b""
        while b"\\r\\n\\r\\n" not in answer:
            answer += raw.recv(1)
        tls = ssl.create_default_context(cafile=bundle).wrap_socket(raw, server_hostname=host)
        payload = sys.argv[4].encode().decode("unicode_escape").encode("latin-1")
        tls.sendall(payload.replace(b"@BODY@", b"b" * int(sys.argv[5])))
        received = b""
        while True:
            try:
                data = tls.recv(65536)
            except (ssl.SSLError, ConnectionResetError):
                break
            if not data:
                break
            received += data
        sys.stdout.write(received.decode("latin-1"))
        """
        return try ProxyTestSupport.run(["python3", "-c", script, String(proxy.source.port ?? 0), host, proxy.bundle, payload,
                                         String(bodySize)])
    }

    @Test func pipelinedRequestsInsideADecryptedTunnelAreAnsweredInOrder() throws {
        let upstream = try TestServer()
        let proxy = try RunningProxy(forwardTo: "http://127.0.0.1:\(upstream.port)")
        let host = "pipelined.s3.us-east-1.amazonaws.com"
        var requests = ""
        for index in 1...3 {
            requests += "PUT /key\(index) HTTP/1.1\\r\\nHost: \(host)\\r\\nContent-Length: 5\\r\\n\\r\\nbody\(index)"
        }
        requests += "GET /last HTTP/1.1\\r\\nHost: \(host)\\r\\nConnection: close\\r\\n\\r\\n"
        let answer = try Self.throughTunnel(proxy, host: host, payload: requests)
        #expect(answer.status == 0, "\(answer.stderr)")
        #expect(answer.stdout.components(separatedBy: "HTTP/1.1 200").count - 1 == 4, "\(answer.stdout)")
        let paths = ["/key1", "/key2", "/key3", "/last"].compactMap { answer.stdout.range(of: "\"path\": \"\($0)\"")?.lowerBound }
        #expect(paths.count == 4)
        #expect(paths == paths.sorted())
        // Each body reached the upstream whole.
        #expect(answer.stdout.components(separatedBy: "\"received\": 5,").count - 1 == 3, "\(answer.stdout)")
        try #require(Self.waitFor { proxy.calls.count == 4 })
        #expect(proxy.calls.map(\.operation).sorted() == ["GetObject", "PutObject", "PutObject", "PutObject"])
    }

    /// Pipelined requests larger than the proxy holds while the one before them is relayed:
    /// it stops reading, then goes on, and each body arrives whole and in its turn.
    @Test func pipelinedRequestsLargerThanTheQueueWaitTheirTurn() throws {
        let upstream = try TestServer()
        let proxy = try RunningProxy(forwardTo: "http://127.0.0.1:\(upstream.port)")
        let host = "pipelined.s3.us-east-1.amazonaws.com"
        let size = 3 * HTTP1Relay.maximumQueuedBytes + 1
        var requests = ""
        for index in 1...3 {
            requests += "PUT /big\(index) HTTP/1.1\\r\\nHost: \(host)\\r\\nContent-Length: \(size)\\r\\n\\r\\n@BODY@"
        }
        requests += "GET /last HTTP/1.1\\r\\nHost: \(host)\\r\\nConnection: close\\r\\n\\r\\n"
        let answer = try Self.throughTunnel(proxy, host: host, payload: requests, bodySize: size)
        #expect(answer.status == 0, "\(answer.stderr)")
        let paths = ["/big1", "/big2", "/big3", "/last"].compactMap { answer.stdout.range(of: "\"path\": \"\($0)\"")?.lowerBound }
        #expect(paths.count == 4 && paths == paths.sorted(), "\(answer.stdout)")
        #expect(answer.stdout.components(separatedBy: "\"received\": \(size),").count - 1 == 3, "\(answer.stdout)")
        try #require(Self.waitFor { proxy.calls.count == 4 })
    }

    /// A malformed request pipelined behind a good one: the good one is answered first, then the 400.
    @Test func aMalformedPipelinedRequestIsAnsweredInItsTurn() throws {
        let upstream = try TestServer()
        let proxy = try RunningProxy(forwardTo: "http://127.0.0.1:\(upstream.port)")
        let host = "pipelined.s3.us-east-1.amazonaws.com"
        let payload = "PUT /first HTTP/1.1\\r\\nHost: \(host)\\r\\nContent-Length: 5\\r\\n\\r\\nfirst\\x00\\x01garbage\\r\\n\\r\\n"
        let answer = try Self.throughTunnel(proxy, host: host, payload: payload)
        #expect(answer.status == 0, "\(answer.stderr)")
        #expect(answer.stdout.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(answer.stdout)")
        #expect(answer.stdout.contains("\"path\": \"/first\""))
        #expect(answer.stdout.contains("HTTP/1.1 400 Bad Request\r\n"), "\(answer.stdout)")
        try #require(Self.waitFor { proxy.statistics.rejected["malformed HTTP request"] == 1 }, "\(proxy.statistics)")
        #expect(proxy.calls.map(\.operation) == ["PutObject"])
    }

    @Test func aMalformedRequestInsideADecryptedTunnelGetsA400AndIsCounted() throws {
        let upstream = try TestServer()
        let proxy = try RunningProxy(forwardTo: "http://127.0.0.1:\(upstream.port)")
        let answer = try Self.throughTunnel(proxy, host: "sqs.us-east-1.amazonaws.com", payload: "\\x00\\x01garbage\\r\\n\\r\\n")
        #expect(answer.status == 0, "\(answer.stderr)")
        #expect(answer.stdout.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(answer.stdout)")
        try #require(Self.waitFor { proxy.statistics.rejected["malformed HTTP request"] == 1 }, "\(proxy.statistics)")
        #expect(proxy.calls.isEmpty)
    }

    @Test func anInterim100ContinueReachesTheClientBeforeItSendsTheBody() throws {
        let upstream = try TestServer()
        let proxy = try RunningProxy(forwardTo: "http://127.0.0.1:\(upstream.port)")
        let connection = try RawSocket(port: proxy.source.port ?? 0)
        connection.send("PUT http://continue-bucket.s3.us-east-1.amazonaws.com/k HTTP/1.1\r\nHost: continue-bucket.s3.us-east-1.amazonaws.com\r\n"
            + "Content-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
        // Nothing of the body sent yet: the interim response comes from upstream, through the proxy.
        #expect(connection.receive(until: "\r\n\r\n").hasPrefix("HTTP/1.1 100 Continue\r\n"))
        connection.send("hello")
        let final = connection.receiveAll()
        #expect(final.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(final)")
        #expect(final.contains(#""received": 5"#))
        try #require(Self.waitFor { proxy.calls.count == 1 })
        #expect(proxy.calls.first?.operation == "PutObject")
    }

    @Test func aMalformedClientIsCountedAndTheProxyGoesOn() throws {
        let upstream = try TestServer()
        let proxy = try RunningProxy(forwardTo: "http://127.0.0.1:\(upstream.port)")
        let other = try ProxyTestSupport.temporaryFolder("other-ca")
        defer { try? FileManager.default.removeItem(atPath: other) }
        _ = try CertificateAuthority.open(folder: other)
        _ = try RawSocket.exchange(port: proxy.source.port ?? 0, send: Array("\u{0}\u{1}garbage\r\n\r\n".utf8))
        _ = try RawSocket.exchange(port: proxy.source.port ?? 0, send: Array("GET /origin-form HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        // A client that does not trust the CA: the handshake fails, and is counted.
        let untrusting = try proxy.curl(["https://sts.us-east-1.amazonaws.com/"], caFile: CertificateAuthority.certificatePath(in: other))
        #expect(untrusting.status != 0)
        let result = try proxy.curl([
            "--aws-sigv4", "aws:amz:us-east-1:sqs", "--user", "AKIAIOSFODNN7EXAMPLE:secret",
            "-d", "Action=CreateQueue&QueueName=after-garbage", "https://sqs.us-east-1.amazonaws.com/",
        ])
        #expect(result.stdout.hasSuffix("\n200"), "\(result.stdout) \(result.stderr)")
        try #require(Self.waitFor { proxy.calls.count == 1 })
        #expect(proxy.calls.first?.operation == "CreateQueue")
        #expect(proxy.calls.first?.parameters?["QueueName"] == "after-garbage")
        try #require(Self.waitFor { proxy.statistics.rejectedTotal >= 3 }, "\(proxy.statistics)")
        #expect(proxy.statistics.rejected["malformed HTTP request"] == 1)
        #expect(proxy.statistics.rejected["not a proxy request"] == 1)
        #expect((proxy.statistics.rejected["TLS handshake with the client failed (does it trust iamscribe's CA?)"] ?? 0) >= 1)
    }

    @Test func aLargeUploadStreamsThroughWith100Continue() throws {
        let upstream = try TestServer()
        let proxy = try RunningProxy(forwardTo: "http://127.0.0.1:\(upstream.port)")
        let folder = try ProxyTestSupport.temporaryFolder("large")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let size = 64 << 20
        let file = try ProxyTestSupport.sparseFile(in: folder, size: size)
        let result = try proxy.curl([
            "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "AKIAIOSFODNN7EXAMPLE:secret",
            "-H", "Expect: 100-continue", "-T", file, "https://large-bucket.s3.us-east-1.amazonaws.com/large.bin",
        ])
        #expect(result.stdout.contains(#""received": \#(size)"#), "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.hasSuffix("\n200"))
        try #require(Self.waitFor { proxy.calls.count == 1 })
        #expect(proxy.calls.first?.operation == "PutObject")
        #expect(proxy.calls.first?.parameters?["Key"] == "large.bin")
    }

    static func waitFor(timeout: TimeInterval = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }
}

/// A free TCP port on loopback.
enum TestSupportPort {
    static func free() -> UInt16 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        return UInt16(bigEndian: address.sin_port)
    }
}

/// A plain TCP client: sends bytes, then reads until the other side closes (or 10 s pass).
final class RawSocket {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestFailure("cannot connect to port \(port)") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    func send(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, 0) }
    }

    /// Reads until `end` has come (or the peer closes, or 10 s pass).
    func receive(until end: String) -> String {
        var received: [UInt8] = []
        var byte: UInt8 = 0
        while !String(decoding: received, as: UTF8.self).hasSuffix(end), recv(descriptor, &byte, 1, 0) == 1 { received.append(byte) }
        return String(decoding: received, as: UTF8.self)
    }

    func receiveAll() -> String { receive(until: "\u{0}never\u{0}") }


    static func exchange(port: Int, send bytes: [UInt8]) throws -> String {
        let socket = try RawSocket(port: port)
        _ = bytes.withUnsafeBytes { Glibc.send(socket.descriptor, $0.baseAddress, $0.count, 0) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket.descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }
}
