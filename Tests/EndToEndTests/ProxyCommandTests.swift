import Foundation
import TestSupport
import Testing

/// `run --mode proxy` and `record --mode proxy` through the built binary, with real clients
/// (boto3, the AWS CLI v1, curl) that know only real AWS host names, forwarded to moto.
@Suite("The HTTPS proxy through the binary", .enabled(if: Workloads.available, "needs moto_server, aws and python3 (Scripts/setup)"))
struct ProxyCommandTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-proxy-e2e-\(UUID())").path

    init() throws { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }

    /// A client's environment: fake credentials, no endpoint override (the client talks to real
    /// AWS host names), iamscribe's CA in a folder of the test's.
    func environment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_ACCESS_KEY_ID"] = "AKIAIOSFODNN7EXAMPLE"
        environment["AWS_SECRET_ACCESS_KEY"] = "example-secret-never-written"
        environment["AWS_SESSION_TOKEN"] = "example-token-never-written"
        environment["AWS_DEFAULT_REGION"] = "us-east-1"
        environment["AWS_CONFIG_FILE"] = "/dev/null"
        environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        environment["IAMSCRIBE_HOME"] = folder + "/home"
        for key in ["AWS_ENDPOINT_URL", "AWS_CSM_ENABLED", "AWS_CSM_PORT", "HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"] {
            environment[key] = nil
        }
        return environment
    }

    static let boto3Workload = """
    import boto3, botocore
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="proxy-e2e")
    s3.put_object(Bucket="proxy-e2e", Key="reports/a.txt", Body=b"hi")
    s3.get_object(Bucket="proxy-e2e", Key="reports/a.txt")["Body"].read()
    try:
        s3.get_object(Bucket="proxy-e2e", Key="missing.txt")
        raise SystemExit("missing.txt was found")
    except botocore.exceptions.ClientError as error:
        assert error.response["Error"]["Code"] == "NoSuchKey", error.response
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="proxy-jobs")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="job")
    ddb = boto3.client("dynamodb")
    ddb.create_table(TableName="proxy-table", AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName="proxy-table", Item={"id": {"S": "1"}})
    boto3.client("secretsmanager").create_secret(Name="proxy-secret", SecretString="s3cr3t-value-never-written")
    boto3.client("sts").get_caller_identity()
    """

    @Test("boto3 knowing only real AWS host names, through run --mode proxy --forward-to moto")
    func boto3ThroughTheProxy() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let moto = try Moto()
        let session = folder + "/session.jsonl"
        let script = folder + "/workload.py"
        try Self.boto3Workload.write(toFile: script, atomically: true, encoding: .utf8)
        let result = try Binary.run(["run", "--mode", "proxy", "--forward-to", moto.endpoint, "--session", session,
                                     "--", "python3", script], environment: environment())
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Workloads.actions(inPolicy: result.stdout) == [
            "dynamodb:CreateTable", "dynamodb:PutItem", "s3:CreateBucket", "s3:GetObject", "s3:PutObject",
            "secretsmanager:CreateSecret", "sqs:CreateQueue", "sqs:SendMessage",
        ])
        #expect(result.stderr.contains("10 decrypted, 0 tunnelled"), "\(result.stderr)")
        #expect(result.stderr.contains("not in the policy: sts:GetCallerIdentity needs no permission"))
        let journal = try String(contentsOfFile: session, encoding: .utf8)
        let calls = journal.split(separator: "\n").dropFirst().compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(calls.count == 10)
        #expect(calls.allSatisfy { $0["source"] as? String == "proxy" })
        func parameters(_ operation: String) -> [[String: String]] {
            calls.filter { $0["operation"] as? String == operation }.map { $0["parameters"] as? [String: String] ?? [:] }
        }
        #expect(parameters("PutObject") == [["Bucket": "proxy-e2e", "Key": "reports/a.txt"]])
        #expect(parameters("CreateQueue") == [["QueueName": "proxy-jobs"]])
        #expect(parameters("PutItem") == [["TableName": "proxy-table"]])
        #expect(parameters("CreateSecret").first?["Name"] == "proxy-secret")
        // The failed call keeps its status and error code, so --fails-only and diff can tell.
        let failed = calls.filter { ($0["httpStatus"] as? Int ?? 0) >= 400 }
        #expect(failed.count == 1)
        #expect(failed.first?["errorCode"] as? String == "NoSuchKey")
        #expect((failed.first?["parameters"] as? [String: String])?["Key"] == "missing.txt")
        // Secrets never leave the process.
        for secret in ["s3cr3t-value-never-written", "example-secret-never-written", "example-token-never-written",
                       "Signature=", "Authorization", "SecretString"] {
            #expect(!journal.contains(secret), "\(secret)")
            #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret), "\(secret)")
        }
    }

    @Test("The AWS CLI v1 through run --mode proxy, with --fails-only")
    func awsCLIThroughTheProxy() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let moto = try Moto()
        let script = """
        set -e
        aws s3api create-bucket --bucket cli-proxy >/dev/null
        aws s3api put-object --bucket cli-proxy --key k --body /etc/hostname >/dev/null
        aws sqs create-queue --queue-name cli-proxy >/dev/null
        aws dynamodb list-tables >/dev/null
        aws sts get-caller-identity >/dev/null
        ! aws s3api head-object --bucket cli-proxy --key absent 2>/dev/null
        """
        let all = try Binary.run(["run", "--mode", "proxy", "--forward-to", moto.endpoint, "--", "sh", "-c", script],
                                 environment: environment())
        #expect(all.status == 0, "\(all.stderr)")
        #expect(try Workloads.actions(inPolicy: all.stdout) == [
            "dynamodb:ListTables", "s3:CreateBucket", "s3:GetObject", "s3:PutObject", "sqs:CreateQueue",
        ])
        let fails = try Binary.run(["run", "--mode", "proxy", "--fails-only", "--forward-to", moto.endpoint, "--",
                                    "sh", "-c", "! aws s3api head-object --bucket cli-proxy --key absent 2>/dev/null"],
                                   environment: environment())
        #expect(fails.status == 0, "\(fails.stderr)")
        #expect(try Workloads.actions(inPolicy: fails.stdout) == ["s3:GetObject"])
    }

    @Test("run --mode proxy sets the proxy and CA bundle variables for the child only, over preset values, and keeps NO_PROXY")
    func childEnvironment() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var environment = environment()
        environment["AWS_CA_BUNDLE"] = "/etc/ssl/certs/ca-certificates.crt"
        environment["NO_PROXY"] = "internal.example"
        let names = ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "NO_PROXY", "AWS_CA_BUNDLE", "SSL_CERT_FILE",
                     "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"]
        let result = try Binary.run(["run", "--mode", "proxy", "--", "sh", "-c", names.map { "echo \"$\($0)\"" }.joined(separator: "; ")],
                                    environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init).prefix(names.count)
        let values = Dictionary(uniqueKeysWithValues: zip(names, lines))
        let proxy = try #require(values["HTTPS_PROXY"])
        #expect(proxy.hasPrefix("http://127.0.0.1:") && proxy != "http://127.0.0.1:10080")
        #expect(["HTTP_PROXY", "https_proxy", "http_proxy"].allSatisfy { values[$0] == proxy })
        #expect(values["NO_PROXY"] == "internal.example")
        let bundle = folder + "/home/ca-bundle.pem"
        #expect(["AWS_CA_BUNDLE", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"].allSatisfy { values[$0] == bundle })
        let text = try String(contentsOfFile: bundle, encoding: .utf8)
        let ca = try String(contentsOfFile: folder + "/home/ca.pem", encoding: .utf8)
        #expect(text.hasSuffix(ca))
        // The system's roots come first, so that tunnelled hosts are still trusted.
        #expect(text.components(separatedBy: "BEGIN CERTIFICATE").count > 10)
    }

    @Test("iamscribe ca path, export and rotate, in IAMSCRIBE_HOME")
    func caCommands() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try Binary.run(["ca", "path"], environment: environment())
        #expect(path.status == 0)
        #expect(path.stdout == folder + "/home/ca.pem\n")
        let export = try Binary.run(["ca", "export"], environment: environment())
        #expect(export.stdout == (try String(contentsOfFile: folder + "/home/ca.pem", encoding: .utf8)))
        #expect(!export.stdout.contains("PRIVATE KEY"))
        let rotate = try Binary.run(["ca", "rotate"], environment: environment())
        #expect(rotate.status == 0)
        #expect(rotate.stderr.contains("a new CA is in"))
        let exported = try Binary.run(["ca", "export"], environment: environment())
        #expect(exported.stdout.hasPrefix("-----BEGIN CERTIFICATE-----") && exported.stdout != export.stdout)
        var info = stat()
        #expect(stat(folder + "/home", &info) == 0 && info.st_mode & 0o777 == 0o700)
        #expect(stat(folder + "/home/ca-key.pem", &info) == 0 && info.st_mode & 0o777 == 0o600)
    }

    @Test("record --mode proxy --set-ini sets ca_bundle for the profile, prints the export lines, and restores the file byte for byte")
    func setIni() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = folder + "/config"
        let original = "[default]\r\nregion = us-east-1\r\n\r\n[profile dev]\r\noutput = json"
        try original.write(toFile: config, atomically: true, encoding: .utf8)
        var environment = environment()
        environment["AWS_CONFIG_FILE"] = config
        let port = Int(Loopback.freePort())
        let recorder = try Recorder(["record", "--mode", "proxy", "--listen", "127.0.0.1:\(port)", "--set-ini", "--profile", "dev"],
                                    environment: environment)
        #expect(Workloads.wait { recorder.stderr.contains("recording AWS calls through the proxy") }, "\(recorder.stderr)")
        let bundle = folder + "/home/ca-bundle.pem"
        let edited = try String(contentsOfFile: config, encoding: .utf8)
        #expect(edited.hasPrefix("[default]\r\nregion = us-east-1\r\n\r\n[profile dev]\r\noutput = json\r\nca_bundle = \(bundle)"),
                "\(edited.debugDescription)")
        #expect(recorder.stderr.contains("export HTTPS_PROXY=http://127.0.0.1:\(port) HTTP_PROXY=http://127.0.0.1:\(port)"))
        #expect(recorder.stderr.contains("export AWS_CA_BUNDLE=\(bundle) SSL_CERT_FILE=\(bundle)"))
        #expect(recorder.stop(SIGINT) == 0, "\(recorder.stderr)")
        #expect(try String(contentsOfFile: config, encoding: .utf8) == original)
    }

    @Test("A 512 MiB upload through record --mode proxy leaves the recorder's memory flat, over HTTP/1.1 and HTTP/2",
          arguments: ["1.1", "2"])
    func largeUploadInBoundedMemory(httpVersion: String) throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sink = try SinkServer(script: Workloads.root.appendingPathComponent("Scripts/lib/test_http_server.py").path)
        let port = Int(Loopback.freePort())
        let recorder = try Recorder(["record", "--mode", "proxy", "--listen", "127.0.0.1:\(port)",
                                     "--forward-to", "http://127.0.0.1:\(sink.port)"], environment: environment())
        #expect(Workloads.wait { recorder.stderr.contains("recording AWS calls through the proxy") }, "\(recorder.stderr)")
        func upload(_ megabytes: Int) throws -> String {
            let file = folder + "/upload-\(megabytes).bin"
            FileManager.default.createFile(atPath: file, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
            try handle.truncate(atOffset: UInt64(megabytes) << 20)
            try handle.close()
            defer { try? FileManager.default.removeItem(atPath: file) }
            let result = try Binary.run(["curl", "-sS", "--max-time", "300", "--http\(httpVersion)", "-w", "\nHTTP/%{http_version}",
                                         "--proxy", "http://127.0.0.1:\(port)",
                                         "--cacert", folder + "/home/ca-bundle.pem", "--aws-sigv4", "aws:amz:us-east-1:s3",
                                         "--user", "AKIAIOSFODNN7EXAMPLE:secret", "-T", file,
                                         "https://big-bucket.s3.us-east-1.amazonaws.com/upload-\(megabytes).bin"],
                                        executable: "/usr/bin/env")
            return result.stdout + result.stderr
        }
        #expect(try upload(16).contains(#""received": \#(16 << 20)"#))
        let afterSmall = recorder.peakKiB
        let large = try upload(512)
        #expect(large.contains(#""received": \#(512 << 20)"#))
        // The client spoke the version asked for (HTTP/2 by ALPN through the CONNECT tunnel).
        #expect(large.hasSuffix("\nHTTP/\(httpVersion)"), "\(large)")
        let afterLarge = recorder.peakKiB
        // 496 MiB more went through; the peak may grow by buffers, not by the body.
        #expect(afterSmall > 0 && afterLarge - afterSmall < 48 * 1024, "peak \(afterSmall) KiB, then \(afterLarge) KiB")
        #expect(recorder.stop(SIGINT) == 0)
        #expect(recorder.stderr.contains("2 calls, 1 actions"), "\(recorder.stderr)")
    }
}

/// The Python test server (Scripts/lib/test_http_server.py): reads bodies without keeping them.
final class SinkServer {
    let port: Int
    private let process = Process()

    init(script: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            throw NSError(domain: "sink", code: 1, userInfo: [NSLocalizedDescriptionKey: "the test server did not print its port"])
        }
        self.port = port
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
