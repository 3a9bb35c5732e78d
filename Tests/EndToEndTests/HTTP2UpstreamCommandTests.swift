import Foundation
import TestSupport
import Testing

/// `run --mode proxy` with HTTP/2 end to end: Go's net/http over TLS as the endpoint
/// (Tests/Clients/go/src/iamscribe-h2-endpoint, `--forward-to` and `--upstream-ca`), curl and Go
/// clients of the same binary as the child, reading the variables `run` sets.
@Suite("HTTP/2 to the upstream through run --mode proxy",
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/go") && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"),
                "needs go, curl and openssl (Scripts/setup)"))
struct HTTP2UpstreamCommandTests {
    /// The Go endpoint's binary, built once (the build script rebuilds only when the source changed).
    static let tool: Result<String, any Error> = Result {
        let output = Workloads.root.appendingPathComponent(".build/iamscribe-clients/iamscribe-h2-endpoint").path
        let script = Workloads.root.appendingPathComponent("Tests/Clients/go/build-h2-endpoint.sh").path
        let built = try Binary.run(["bash", script, output], executable: "/usr/bin/env")
        guard built.status == 0 else { throw BuildFailure(description: "building the Go endpoint failed: \(built.stderr)") }
        return output
    }

    /// A new temporary folder (for the caller to remove) and an environment whose IAMSCRIBE_HOME is
    /// in it, with no proxy variables inherited.
    static func home() throws -> (folder: String, environment: [String: String]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-h2up-e2e-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["IAMSCRIBE_HOME"] = folder + "/home"
        for key in ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"] { environment[key] = nil }
        return (folder, environment)
    }

    struct BuildFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// The Go endpoint on a free port (HTTP/1.1 only with `-h1`); killed when the test ends.
    final class Endpoint {
        let certificates: TestCertificates
        let port: Int
        private let server = Process()

        init(_ arguments: [String] = []) throws {
            certificates = try TestCertificates()
            server.executableURL = URL(fileURLWithPath: try HTTP2UpstreamCommandTests.tool.get())
            server.arguments = ["server", "-cert", certificates.certificate, "-key", certificates.key] + arguments
            let output = Pipe()
            server.standardOutput = output
            server.standardError = FileHandle.nullDevice
            try server.run()
            let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            guard let port = Int(line.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)) else {
                kill(server.processIdentifier, SIGKILL)
                throw BuildFailure(description: "the Go endpoint did not print its port: \(line.debugDescription)")
            }
            self.port = port
        }

        deinit {
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
    }

    @Test("curl, a Go bidirectional stream and a Go upload without a length: HTTP/2 upstream, recorded, counted in the summary")
    func http2EndToEnd() throws {
        let tool = try Self.tool.get()
        let endpoint = try Endpoint()
        let certificates = endpoint.certificates
        let port = endpoint.port

        let (folder, environment) = try Self.home()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // The child reads the proxy and the CA bundle from the variables run sets.
        let child = """
            set -e
            curl -sS --http2 -w '\\n%{http_version} %{http_code}\\n' --aws-sigv4 aws:amz:us-east-1:s3 \
                --user AKIAIOSFODNN7EXAMPLE:example-secret-never-written -T /etc/hostname \
                https://e2e-bucket.s3.us-east-1.amazonaws.com/curl.txt
            '\(tool)' duplex -proxy "$HTTPS_PROXY" -ca "$SSL_CERT_FILE" -chunks 3 \
                -url https://bedrock-runtime.us-east-1.amazonaws.com/model/e2e-model/invoke-with-bidirectional-stream
            '\(tool)' upload -proxy "$HTTPS_PROXY" -ca "$SSL_CERT_FILE" -size 70000 \
                -url https://e2e-bucket.s3.us-east-1.amazonaws.com/go.bin
            """
        let result = try Binary.run(["run", "--mode", "proxy", "--forward-to", "https://localhost:\(port)",
                                     "--upstream-ca", certificates.authority, "--", "/bin/sh", "-c", child],
                                    environment: environment)
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        // The child's output: every exchange reached the endpoint over HTTP/2.
        #expect(result.stdout.contains(#""proto":"HTTP/2.0""#), "\(result.stdout)")
        #expect(result.stdout.contains("\n2 200\n"), "\(result.stdout)")
        #expect(result.stdout.contains(#""echoedBeforeRequestEnded":["echo chunk 0","echo chunk 1","echo chunk 2"]"#), "\(result.stdout)")
        #expect(result.stdout.contains(#""received":70000"#), "\(result.stdout)")
        // The summary: one upstream HTTP/2 connection carried the three streams of one client
        // connection, or one per client connection (curl and each Go run connect anew).
        #expect(result.stderr.contains("3 streams over 3 upstream HTTP/2 connections"), "\(result.stderr)")
        #expect(!result.stderr.contains("uploads without a length"), "\(result.stderr)")
        // The policy.
        for action in ["s3:PutObject", "bedrock:InvokeModel"] {
            #expect(result.stdout.contains("\"\(action)\""), "\(action): \(result.stdout)")
        }
        #expect(!result.stdout.contains("example-secret-never-written") && !result.stderr.contains("example-secret-never-written"))
    }

    @Test("A Go upload without a length to an HTTP/1.1-only endpoint: sent with a content-length, counted in the summary")
    func lengthGivenEndToEnd() throws {
        let tool = try Self.tool.get()
        let endpoint = try Endpoint(["-h1"])
        let (folder, environment) = try Self.home()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let child = """
            '\(tool)' upload -proxy "$HTTPS_PROXY" -ca "$SSL_CERT_FILE" -size 70000 \
                -url https://e2e-bucket.s3.us-east-1.amazonaws.com/length.bin
            """
        let result = try Binary.run(["run", "--mode", "proxy", "--forward-to", "https://localhost:\(endpoint.port)",
                                     "--upstream-ca", endpoint.certificates.authority, "--", "/bin/sh", "-c", child],
                                    environment: environment)
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains(#""proto":"HTTP/1.1""#), "\(result.stdout)")
        #expect(result.stdout.contains(#""contentLength":70000"#), "\(result.stdout)")
        #expect(result.stderr.contains("HTTP/2 uploads without a length to HTTP/1.1: 1 given one, 0 sent chunked"), "\(result.stderr)")
        #expect(!result.stderr.contains("upstream HTTP/2 connection"), "\(result.stderr)")
        #expect(result.stdout.contains("\"s3:PutObject\""), "\(result.stdout)")
    }

    @Test("A 512 MiB upload without a length through record --mode proxy leaves the recorder's memory flat, to an HTTP/2 endpoint and chunked to an HTTP/1.1 one",
          arguments: [false, true])
    func largeLengthlessUploadInBoundedMemory(http1Only: Bool) throws {
        let tool = try Self.tool.get()
        let endpoint = try Endpoint(http1Only ? ["-h1"] : [])
        let (folder, environment) = try Self.home()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let port = Int(Loopback.freePort())
        let recorder = try Recorder(["record", "--mode", "proxy", "--listen", "127.0.0.1:\(port)",
                                     "--forward-to", "https://localhost:\(endpoint.port)",
                                     "--upstream-ca", endpoint.certificates.authority], environment: environment)
        #expect(Workloads.wait { recorder.stderr.contains("recording AWS calls through the proxy") }, "\(recorder.stderr)")
        func upload(_ megabytes: Int) throws -> String {
            let result = try Binary.run([tool, "upload", "-proxy", "http://127.0.0.1:\(port)", "-ca", folder + "/home/ca-bundle.pem",
                                         "-size", String(megabytes << 20),
                                         "-url", "https://big-bucket.s3.us-east-1.amazonaws.com/lengthless-\(megabytes).bin"],
                                        executable: "/usr/bin/env")
            return result.stdout + result.stderr
        }
        #expect(try upload(16).contains(#""received":\#(16 << 20)"#))
        let afterSmall = recorder.peakKiB
        let large = try upload(512)
        #expect(large.contains(#""received":\#(512 << 20)"#), "\(large)")
        #expect(large.contains(http1Only ? #""transferEncoding":["chunked"]"# : #""proto":"HTTP/2.0""#), "\(large)")
        let afterLarge = recorder.peakKiB
        // 496 MiB more went through; the peak may grow by buffers, not by the body.
        #expect(afterSmall > 0 && afterLarge - afterSmall < 48 * 1024, "peak \(afterSmall) KiB, then \(afterLarge) KiB")
        #expect(recorder.stop(SIGINT) == 0)
        #expect(recorder.stderr.contains("2 calls, 1 actions"), "\(recorder.stderr)")
        if http1Only {
            #expect(recorder.stderr.contains("HTTP/2 uploads without a length to HTTP/1.1: 0 given one, 2 sent chunked"), "\(recorder.stderr)")
        } else {
            #expect(recorder.stderr.contains("2 streams over 2 upstream HTTP/2 connections"), "\(recorder.stderr)")
        }
    }
}
