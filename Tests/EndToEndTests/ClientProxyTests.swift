import Foundation
import Testing
import TestSupport

/// `run --mode proxy` with real clients against moto over TLS (``TLSMoto``, whose CA only
/// `--upstream-ca` and the tests trust): boto3 and the AWS CLI v1 by endpoint, and the clients
/// that know only AWS host names (Debian's Go SDK v2 and AWS CLI v2, curl) through `--forward-to`.
/// A non-AWS host is tunnelled untouched; an upstream whose certificate does not verify gets a 502
/// saying why.
@Suite("HTTPS proxy with real clients against moto over TLS", .serialized,
       .enabled(if: Workloads.available && TLSMoto.available, "needs moto_server, aws, python3, openssl and curl (Scripts/setup)"))
struct ClientProxyTests {
    /// Where the tests' iamscribe keeps its CA (IAMSCRIBE_HOME): never the user's own.
    private static let home = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-proxy-home-\(UUID())").path

    /// The environment of a proxied client: no proxy or CA variables of the machine's (run sets
    /// its own), nothing exempt from the proxy, the tests' CA folder.
    private static func environment(endpoint: String?) -> [String: String] {
        var environment = ClientWorkloads.environment(endpoint: endpoint)
        for key in ["NO_PROXY", "no_proxy", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"] {
            environment[key] = nil
        }
        environment["IAMSCRIBE_HOME"] = home
        return environment
    }

    /// Runs `command` under `run --mode proxy` with `options`, and checks that no secret leaked.
    private func proxied(_ options: [String], _ command: [String], endpoint: String?) throws -> Binary.Result {
        let result = try Binary.run(["run", "--mode", "proxy"] + options + ["--"] + command,
                                    environment: Self.environment(endpoint: endpoint))
        #expect(!ClientWorkloads.leaksSecret(result.stdout + result.stderr))
        return result
    }

    @Test("boto3 by endpoint (--intercept localhost): the sample workload's exact actions")
    func boto3() throws {
        let moto = try TLSMoto()
        let result = try proxied(["--intercept", "localhost", "--upstream-ca", moto.certificates.authority],
                                 ["python3", Workloads.sampleWorkload], endpoint: moto.localhostEndpoint)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Workloads.actions(inPolicy: result.stdout) == Workloads.sampleActions)
    }

    @Test("The AWS CLI v1 by endpoint, with AWS_CA_BUNDLE as run sets it: the exact actions")
    func cliV1() throws {
        let moto = try TLSMoto()
        let aws = "aws --endpoint-url \(moto.localhostEndpoint) --output json"
        let script = """
        set -e
        \(aws) s3api create-bucket --bucket cli1-bucket >/dev/null
        \(aws) s3api put-object --bucket cli1-bucket --key k --body /etc/hostname >/dev/null
        \(aws) sqs create-queue --queue-name cli1 >/dev/null
        \(aws) dynamodb list-tables >/dev/null
        \(aws) sts get-caller-identity >/dev/null
        """
        let result = try proxied(["--intercept", "localhost", "--upstream-ca", moto.certificates.authority],
                                 ["/bin/sh", "-c", script], endpoint: moto.localhostEndpoint)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Workloads.actions(inPolicy: result.stdout)
                == ["dynamodb:ListTables", "s3:CreateBucket", "s3:PutObject", "sqs:CreateQueue"])
    }

    @Test("The AWS SDK for Go v2 knows only AWS host names: --forward-to moto records it offline",
          .enabled(if: ClientWorkloads.goAvailable, "needs golang-go and golang-github-aws-aws-sdk-go-v2-dev (Scripts/setup)"))
    func goSDK() throws {
        let moto = try TLSMoto()
        let result = try proxied(["--forward-to", moto.endpoint, "--upstream-ca", moto.certificates.authority],
                                 try ClientWorkloads.goCommand(endpoint: nil, prefix: "goproxy"), endpoint: nil)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Workloads.actions(inPolicy: result.stdout) == ClientWorkloads.goActions)
        #expect(!result.stderr.contains("could not be told"), "\(result.stderr)")
        // Its transport sets ForceAttemptHTTP2: offered h2 by ALPN, it takes it, and every call
        // above went over HTTP/2 streams (one connection per service host: S3, DynamoDB, SQS, STS).
        #expect(result.stderr.contains("(4 decrypted, 0 tunnelled; 4 over HTTP/2), 10 exchanges, 10 calls"), "\(result.stderr)")
    }

    @Test("The AWS CLI v2 (Debian's) by AWS host names, --forward-to moto",
          .enabled(if: ClientWorkloads.cliV2Available, "needs Debian's awscli at /usr/bin/aws (Scripts/setup)"))
    func cliV2() throws {
        let moto = try TLSMoto()
        let result = try proxied(["--forward-to", moto.endpoint, "--upstream-ca", moto.certificates.authority],
                                 ["/bin/sh", "-c", ClientWorkloads.cliV2Script(endpoint: nil, prefix: "cli2proxy")], endpoint: nil)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Workloads.actions(inPolicy: result.stdout) == ClientWorkloads.cliV2Actions)
    }

    @Test("curl --aws-sigv4 by AWS host names, --forward-to moto",
          .enabled(if: ClientWorkloads.curlAvailable, "needs curl 7.75 or later"))
    func curl() throws {
        let moto = try TLSMoto()
        let result = try proxied(["--forward-to", moto.endpoint, "--upstream-ca", moto.certificates.authority],
                                 ["/bin/sh", "-c", ClientWorkloads.curlScript(endpoint: nil, prefix: "curlproxy")], endpoint: nil)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Workloads.actions(inPolicy: result.stdout) == ClientWorkloads.curlActions)
    }

    @Test("record --mode proxy --listen, with the variables set by hand as the README says: boto3's exact actions")
    func recordByHand() throws {
        let moto = try TLSMoto()
        let port = Int(Loopback.freePort())
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-\(UUID()).json").path
        let bundle = output + ".bundle.pem"
        defer {
            try? FileManager.default.removeItem(atPath: output)
            try? FileManager.default.removeItem(atPath: bundle)
        }
        var environment = Self.environment(endpoint: moto.localhostEndpoint)
        let recorder = try Recorder(["record", "--mode", "proxy", "--listen", "127.0.0.1:\(port)", "--intercept", "localhost",
                                     "--upstream-ca", moto.certificates.authority, "--output-file", output],
                                    environment: environment)
        // curl's exit status 7: nothing listens on the port yet.
        let listening = Workloads.wait(timeout: 30) {
            !recorder.process.isRunning || (try? Binary.run(["curl", "-s", "-o", "/dev/null", "http://127.0.0.1:\(port)/"],
                                                            executable: "/usr/bin/env").status) != 7
        }
        #expect(listening && recorder.process.isRunning, "\(recorder.stderr)")
        let exported = try Binary.run(["ca", "export"], environment: environment)
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stdout.hasPrefix("-----BEGIN CERTIFICATE-----"))
        try exported.stdout.write(toFile: bundle, atomically: true, encoding: .utf8)
        environment["HTTPS_PROXY"] = "http://127.0.0.1:\(port)"
        environment["AWS_CA_BUNDLE"] = bundle
        let client = try Binary.run(["python3", Workloads.sampleWorkload], executable: "/usr/bin/env", environment: environment)
        #expect(client.status == 0, "\(client.stderr)")
        #expect(recorder.stop(SIGINT) == 0, "\(recorder.stderr)")
        #expect(try Workloads.actions(inPolicy: try String(contentsOfFile: output, encoding: .utf8)) == Workloads.sampleActions)
        #expect(!ClientWorkloads.leaksSecret(recorder.stdout + recorder.stderr))
    }

    @Test("A host that is not AWS's is tunnelled: the client sees the server's own certificate")
    func tunnel() throws {
        let moto = try TLSMoto()
        // Trusting only moto's CA: the request succeeds only if nothing re-signed the connection.
        let result = try proxied([], ["curl", "-sS", "--fail", "-o", "/dev/null", "--cacert", moto.certificates.authority,
                                      "\(moto.localhostEndpoint)/"], endpoint: nil)
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test("An intercepted upstream whose certificate does not verify: a 502 that says why")
    func badUpstreamCertificate() throws {
        let moto = try TLSMoto()
        // No --upstream-ca: moto's certificate is signed by a CA no one trusts. The response goes
        // to files: run prints the policy on standard output after the command's own output.
        let body = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-502-\(UUID())").path
        defer {
            try? FileManager.default.removeItem(atPath: body)
            try? FileManager.default.removeItem(atPath: body + ".status")
        }
        let result = try proxied(["--intercept", "localhost"],
                                 ["/bin/sh", "-c", "curl -sS -o '\(body)' -w '%{http_code}' \(moto.localhostEndpoint)/ > '\(body).status'"],
                                 endpoint: nil)
        #expect(result.status == 0, "\(result.stderr)")
        #expect((try? String(contentsOfFile: body + ".status", encoding: .utf8)) == "502", "\(result.stderr)")
        let reason = (try? String(contentsOfFile: body, encoding: .utf8)) ?? ""
        #expect(reason.lowercased().contains("certificate"), "\(reason)")
    }
}
