import Foundation
import Testing

/// A tcpdump capture of the AWS CLI v1 and boto3 driving moto, read with `iamscribe generate`.
@Suite("generate on packet captures, through the binary", .serialized)
struct PcapCaptureTests {
    /// What Scripts/lib/aws_workload.py --boto3 --cli needs, and the part of it that failed.
    static let workloadActions = [
        "cloudwatch:ListMetrics", "dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem",
        "ec2:CreateTags", "ec2:CreateVpc", "ec2:DescribeInstances", "iam:CreateRole", "iam:TagRole",
        "kms:CreateKey", "kms:Encrypt", "lambda:GetFunction", "lambda:ListFunctions",
        "s3:CreateBucket", "s3:DeleteObject", "s3:GetBucketAcl", "s3:GetObject", "s3:ListBucket", "s3:PutObject",
        "s3:PutObjectTagging", "sns:CreateTopic", "sns:Publish", "sqs:CreateQueue", "sqs:ListQueues",
        "sqs:ReceiveMessage", "sqs:SendMessage", "sts:AssumeRole",
    ]
    static let failedActions = ["dynamodb:DescribeTable", "lambda:GetFunction", "s3:GetObject"]

    /// The actions of every statement, sorted (statements group actions by their resources).
    static func actions(_ json: String) throws -> [String] {
        Array(Set(try statements(json).flatMap(\.actions))).sorted()
    }

    /// Each statement's actions and resources (a single one written as a string, as IAM allows).
    static func statements(_ json: String) throws -> [(actions: [String], resources: [String])] {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let statements = try #require(document["Statement"] as? [[String: Any]])
        func list(_ value: Any?) -> [String] { value as? [String] ?? (value as? String).map { [$0] } ?? [] }
        return statements.map { (list($0["Action"]), list($0["Resource"])) }
    }

    /// The resources of each action, over every statement.
    static func resourcesByAction(_ json: String) throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        for statement in try statements(json) {
            for action in statement.actions { out[action, default: []] += statement.resources }
        }
        return out.mapValues { $0.sorted() }
    }

    @Test("The stored capture gives the stored policy; --fails-only keeps the failed calls")
    func fixture() throws {
        let capture = Fixtures.path("aws-moto.pcap")
        let result = try Binary.run(["generate", capture])
        #expect(result.status == 0)
        #expect(result.stdout == (try String(contentsOfFile: Fixtures.path("aws-moto.pcap.policy.json"), encoding: .utf8)))
        #expect(try Self.actions(result.stdout) == Self.workloadActions)
        #expect(result.stderr.contains("376 packets, 28 HTTP requests, 6 CSM datagrams, 31 calls decoded"))
        #expect(result.stderr.contains("not in the policy: sts:GetCallerIdentity needs no permission"))

        let failed = try Binary.run(["generate", "--fails-only", capture])
        #expect(try Self.actions(failed.stdout) == Self.failedActions)

        // On several threads: the same policy; a thread count out of range is refused, saying why.
        let threaded = try Binary.run(["generate", "--threads", "3", capture])
        #expect(threaded.status == 0)
        #expect(threaded.stdout == result.stdout)
        let zero = try Binary.run(["generate", "--threads", "0", capture])
        #expect(zero.status != 0)
        #expect(zero.stderr.contains("--threads takes a number from 1 to 64"))

        // Without its CSM port, the CSM datagrams are not read; the HTTP requests still are.
        let noCSM = try Binary.run(["generate", "--csm-port", "9", capture])
        #expect(noCSM.stderr.contains("0 CSM datagrams, 28 calls decoded"))
        #expect(try Self.actions(noCSM.stdout) == Self.workloadActions)
    }

    @Test("A truncated capture keeps the calls before the damage and says so; a broken one is an error")
    func damaged() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-pcap-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("aws-moto.pcap")))
        let truncated = directory.appendingPathComponent("cut.pcap")
        try bytes.prefix(40_000).write(to: truncated)
        let result = try Binary.run(["generate", truncated.path])
        #expect(result.status == 0)
        #expect(result.stderr.contains("the capture is damaged after"))
        #expect(result.stderr.contains("truncated"))
        let actions = try Self.actions(result.stdout)
        #expect(!actions.isEmpty)
        #expect(Set(actions).isSubset(of: Set(Self.workloadActions)))

        let header = directory.appendingPathComponent("header.pcap")
        try bytes.prefix(12).write(to: header)
        let broken = try Binary.run(["generate", header.path])
        #expect(broken.status == 2)
        #expect(broken.stderr.contains("cannot read \(header.path) as a capture file"))
    }

    @Test("tcpdump on lo while the AWS CLI and boto3 talk to moto: generate names exactly their actions",
          .enabled(if: Self.toolsPresent(), "needs tcpdump, moto_server, the AWS CLI, boto3 and root"))
    func liveTcpdump() throws {
        // On a loaded machine a capture on lo can lose packets (tcpdump says how many): one more
        // try, with a fresh moto, before the differences count.
        for attempt in 1...2 {
            let outcome = try Self.captureWorkload(motoPort: Self.motoPort + UInt16(attempt * 2))
            let actions = try Self.actions(outcome.policy.stdout)
            guard actions == Self.workloadActions || attempt == 2 else { continue }
            #expect(actions == Self.workloadActions, """
                missing \(Set(Self.workloadActions).subtracting(actions).sorted()), \
                extra \(Set(actions).subtracting(Self.workloadActions).sorted()); \
                generate said: \(outcome.policy.stderr); tcpdump said: \(outcome.tcpdump)
                """)
            #expect(outcome.policy.status == 0)
            // The AWS CLI's CSM datagrams are in the capture too (how many depends on the CLI's timing).
            #expect(!outcome.policy.stderr.contains(" 0 CSM datagrams"))
            #expect(!outcome.policy.stderr.contains("skipped"))
            #expect(try Self.actions(outcome.failsOnly.stdout) == Self.failedActions)
            return
        }
    }

    /// Captures the workload driving a fresh moto with tcpdump on lo, and reads the capture with
    /// `generate` (and `generate --fails-only`).
    static func captureWorkload(
        motoPort: UInt16, workload: [String] = ["--boto3", "--cli"], generate: [String] = []
    ) throws -> (policy: Binary.Result, failsOnly: Binary.Result, tcpdump: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-tcpdump-\(getpid())-\(motoPort)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let capture = directory.appendingPathComponent("workload.pcap").path
        let moto = try start("moto_server", ["-H", "127.0.0.1", "-p", "\(motoPort)"])
        defer { kill(moto) }
        try waitForPort(motoPort)
        let csmPort = motoPort + 1
        // Started through Python so that it gets default signal handling whatever this process
        // inherited (a test runner started in the background ignores SIGINT, and Foundation's
        // Process passes on its signal mask): then SIGTERM makes tcpdump flush and exit.
        let tcpdumpLog = directory.appendingPathComponent("tcpdump.log")
        let tcpdump = try start("python3", ["-c", execWithDefaultSignals, which("tcpdump") ?? "tcpdump",
                                            "-i", "lo", "--immediate-mode", "-U", "-w", capture, "tcp port \(motoPort) or udp port \(csmPort)"],
                                errors: tcpdumpLog)
        defer { kill(tcpdump) }
        // tcpdump writes the file's header once the capture is active: wait for it (a loaded
        // machine can take seconds), then a moment more.
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, ((try? FileManager.default.attributesOfItem(atPath: capture)[.size] as? Int) ?? 0) < 24 {
            usleep(50_000)
        }
        usleep(300_000)
        let client = try start("python3", [workloadScript, "\(motoPort)"] + workload + ["--csm-port", "\(csmPort)"])
        client.waitUntilExit()
        #expect(client.terminationStatus == 0)
        // Without --immediate-mode libpcap (TPACKET_V3) hands packets over a ring block at a time,
        // a block after up to a second, and SIGTERM drops the block not yet handed over: the last
        // call was lost that way on a loaded machine. Immediate mode delivers each packet; a
        // loaded machine can still leave tcpdump behind, so wait until the file has stopped
        // growing for longer than that second.
        var size = -1
        var stable = Date()
        let stop = Date().addingTimeInterval(10)
        while Date() < stop {
            let now = (try? FileManager.default.attributesOfItem(atPath: capture)[.size] as? Int) ?? 0
            if now != size {
                size = now
                stable = Date()
            } else if Date().timeIntervalSince(stable) > 1.5 {
                break
            }
            usleep(100_000)
        }
        Foundation.kill(tcpdump.processIdentifier, SIGTERM)
        tcpdump.waitUntilExit()
        let said = (try? String(contentsOf: tcpdumpLog, encoding: .utf8)) ?? ""
        return (try Binary.run(["generate", "--csm-port", "\(csmPort)"] + generate + [capture]),
                try Binary.run(["generate", "--fails-only", "--csm-port", "\(csmPort)"] + generate + [capture]),
                said.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    // MARK: - Helpers

    static let motoPort = UInt16.random(in: 42_000..<52_000)
    static let workloadScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Scripts/lib/aws_workload.py").standardizedFileURL.path

    static let execWithDefaultSignals = """
        import os, signal, sys
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP): signal.signal(number, signal.SIG_DFL)
        os.execv(sys.argv[1], sys.argv[1:])
        """

    static func toolsPresent() -> Bool {
        getuid() == 0 && ["tcpdump", "moto_server", "aws", "python3"].allSatisfy { which($0) != nil }
    }

    static func which(_ name: String) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func start(_ tool: String, _ arguments: [String], errors: URL? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: which(tool) ?? tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        if let errors {
            FileManager.default.createFile(atPath: errors.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: errors)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        return process
    }

    static func kill(_ process: Process) {
        // moto's server ignores SIGTERM.
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    static func waitForPort(_ port: UInt16) throws {
        for _ in 0..<100 {
            let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            } == 0
            close(socket)
            if connected { return }
            usleep(100_000)
        }
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "moto_server did not start on port \(port)"])
    }
}
