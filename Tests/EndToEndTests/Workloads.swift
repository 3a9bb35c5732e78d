import Foundation
import TestSupport
import Testing

/// Real parts for end-to-end tests: a moto server, the sample workloads, a UDP sender.
enum Workloads {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let sampleWorkload = root.appendingPathComponent("Scripts/lib/sample_workload.py").path

    /// Whether the real clients are installed (Scripts/setup installs them).
    static let available: Bool = {
        let which = { (name: String) in
            (try? Binary.run(["-c", "command -v \(name)"], executable: "/bin/sh").status) == 0
        }
        return which("moto_server") && which("aws") && which("python3")
    }()

    /// A free UDP port on loopback.
    static func freePort() -> Int {
        Int(Loopback.freePort(type: Int32(SOCK_DGRAM.rawValue)))
    }

    /// The environment of a client that talks to `moto` with fake credentials.
    static func clientEnvironment(moto: Moto, csmPort: Int? = nil, clientID: String? = nil) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_ACCESS_KEY_ID"] = "AKIAIOSFODNN7EXAMPLE"
        environment["AWS_SECRET_ACCESS_KEY"] = "example-secret-never-written"
        environment["AWS_SESSION_TOKEN"] = "example-token-never-written"
        environment["AWS_DEFAULT_REGION"] = "us-east-1"
        environment["AWS_ENDPOINT_URL"] = moto.endpoint
        environment["AWS_CONFIG_FILE"] = "/dev/null"
        environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        for key in ["AWS_CSM_ENABLED", "AWS_CSM_PORT", "AWS_CSM_HOST", "AWS_CSM_CLIENT_ID"] { environment[key] = nil }
        if let csmPort {
            environment["AWS_CSM_ENABLED"] = "true"
            environment["AWS_CSM_PORT"] = String(csmPort)
        }
        if let clientID { environment["AWS_CSM_CLIENT_ID"] = clientID }
        return environment
    }

    /// The actions the boto3 sample workload needs (GetCallerIdentity needs none).
    static let sampleActions = [
        "dynamodb:CreateTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query",
        "iam:CreateRole", "iam:GetRole", "iam:PassRole",
        "kms:CreateKey", "kms:Decrypt", "kms:Encrypt",
        "lambda:CreateFunction", "lambda:ListFunctions",
        "s3:CreateBucket", "s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject",
        "sns:CreateTopic", "sns:Publish",
        "sqs:CreateQueue", "sqs:DeleteMessage", "sqs:ReceiveMessage", "sqs:SendMessage",
    ]

    /// An AWS CLI v1 workload as a shell script, against `moto`.
    static func cliScript(moto: Moto) -> String {
        let aws = "aws --endpoint-url \(moto.endpoint)"
        return """
        set -e
        \(aws) s3api create-bucket --bucket cli-bucket >/dev/null
        \(aws) s3api put-object --bucket cli-bucket --key k --body /etc/hostname >/dev/null
        \(aws) s3api head-object --bucket cli-bucket --key k >/dev/null
        \(aws) s3api list-objects-v2 --bucket cli-bucket >/dev/null
        \(aws) dynamodb list-tables >/dev/null
        \(aws) sqs create-queue --queue-name cli >/dev/null
        \(aws) sns list-topics >/dev/null
        \(aws) kms list-keys >/dev/null
        \(aws) iam list-roles >/dev/null
        \(aws) lambda list-functions >/dev/null
        \(aws) sts get-caller-identity >/dev/null
        """
    }

    static let cliActions = [
        "dynamodb:ListTables", "iam:ListRoles", "kms:ListKeys", "lambda:ListFunctions",
        "s3:CreateBucket", "s3:GetObject", "s3:ListBucket", "s3:PutObject", "sns:ListTopics", "sqs:CreateQueue",
    ]

    /// Sends one UDP datagram to loopback.
    static func send(_ bytes: [UInt8], port: Int) {
        Loopback.send(bytes, port: port)
    }

    /// The actions of a policy document, over its statements (grouped by resources), sorted.
    static func actions(inPolicy text: String) throws -> [String] {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let statements = try #require(json["Statement"] as? [[String: Any]])
        return Array(Set(statements.flatMap { statement -> [String] in
            if let list = statement["Action"] as? [String] { return list }
            return (statement["Action"] as? String).map { [$0] } ?? []
        })).sorted()
    }

    /// Waits until `condition` holds or `timeout` passes.
    @discardableResult
    static func wait(timeout: TimeInterval = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }
}

/// A moto server over plain HTTP on a free loopback port, stopped when released.
typealias Moto = MotoServer

/// A long-running iamscribe process (record), with its output collected in files.
final class Recorder {
    let process = Process()
    let stdoutFile = FileManager.default.temporaryDirectory.appendingPathComponent("rec-out-\(UUID())")
    let stderrFile = FileManager.default.temporaryDirectory.appendingPathComponent("rec-err-\(UUID())")

    init(_ arguments: [String], environment: [String: String]? = nil, executable: String = Binary.path) throws {
        FileManager.default.createFile(atPath: stdoutFile.path, contents: nil)
        FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = try FileHandle(forWritingTo: stdoutFile)
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var stdout: String { (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "" }

    /// Waits until the recorder says it listens.
    func waitUntilListening() -> Bool {
        Workloads.wait { self.stderr.contains("listening for CSM events") }
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Its peak resident memory so far (VmHWM), in KiB; 0 once it has gone.
    var peakKiB: Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// Sends SIGTERM and waits for the exit status.
    @discardableResult
    func stop(_ number: Int32 = SIGTERM) -> Int32 {
        signal(number)
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: stdoutFile)
        try? FileManager.default.removeItem(at: stderrFile)
    }
}
