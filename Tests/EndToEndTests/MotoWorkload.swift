import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Records what the real AWS CLI v1 calls against a local moto server, through CSM, into a file
/// of CSM events: the input `diff` reads in the field.
enum MotoWorkload {
    /// The tools the recording needs, found on PATH; nil when one is missing.
    static let tools: (moto: String, aws: String, python: String)? = {
        guard let moto = which("moto_server"), let aws = which("aws"), let python = which("python3") else { return nil }
        return (moto, aws, python)
    }()

    /// Whether moto_server, aws and python3 are installed (Scripts/setup installs them).
    static var available: Bool { tools != nil }

    /// One recording, made the first time it is asked for and shared by the tests.
    static let recording: Result<URL, any Error> = Result { try record() }

    struct RecordingError: Error, CustomStringConvertible {
        let description: String
    }

    private static func record() throws -> URL {
        guard let tools else { throw RecordingError(description: "moto_server, aws or python3 missing") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-e2e-\(UUID())")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw RecordingError(description: "cannot create \(folder.path): \(error)")
        }
        let events = folder.appendingPathComponent("workload.csm.jsonl")
        let motoPort = freePort(streamType), csmPort = freePort(datagramType)
        let sinkScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Scripts/lib/csm_sink.py").standardizedFileURL.path

        let moto = Process()
        moto.executableURL = URL(fileURLWithPath: tools.moto)
        moto.arguments = ["-H", "127.0.0.1", "-p", String(motoPort)]
        moto.standardOutput = FileHandle.nullDevice
        moto.standardError = FileHandle.nullDevice
        let sink = Process()
        sink.executableURL = URL(fileURLWithPath: tools.python)
        sink.arguments = [sinkScript, String(csmPort), events.path]
        do {
            try moto.run()
            try sink.run()
        } catch {
            throw RecordingError(description: "cannot start moto_server or the CSM sink: \(error)")
        }
        defer {
            // SIGKILL: children of the test process inherit a signal mask that blocks SIGTERM.
            for process in [moto, sink] where process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        guard waitForListener(port: motoPort, seconds: 20) else {
            throw RecordingError(description: "moto_server did not listen on port \(motoPort)")
        }
        guard waitForSink(port: csmPort, seconds: 10) else {
            throw RecordingError(description: "the CSM sink did not bind UDP port \(csmPort)")
        }

        var environment = ProcessInfo.processInfo.environment
        environment["AWS_ACCESS_KEY_ID"] = "AKIAIOSFODNN7EXAMPLE"
        environment["AWS_SECRET_ACCESS_KEY"] = "example"
        environment["AWS_DEFAULT_REGION"] = "us-east-1"
        environment["AWS_CONFIG_FILE"] = "/dev/null"
        environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        environment["AWS_CSM_ENABLED"] = "true"
        environment["AWS_CSM_PORT"] = String(csmPort)
        environment["AWS_CSM_CLIENT_ID"] = "e2e"
        let body = folder.appendingPathComponent("body.txt")
        guard FileManager.default.createFile(atPath: body.path, contents: Data("hello\n".utf8)) else {
            throw RecordingError(description: "cannot write \(body.path)")
        }

        func aws(_ arguments: [String]) throws -> String {
            let result: Binary.Result
            do {
                result = try Binary.run(["--endpoint-url", "http://127.0.0.1:\(motoPort)", "--output", "json"] + arguments,
                                        executable: tools.aws, environment: environment)
            } catch {
                throw RecordingError(description: "cannot run aws: \(error)")
            }
            guard result.status == 0 else {
                throw RecordingError(description: "aws \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
            }
            return result.stdout
        }
        _ = try aws(["s3api", "create-bucket", "--bucket", "e2e-bucket"])
        _ = try aws(["s3api", "put-object", "--bucket", "e2e-bucket", "--key", "hello.txt", "--body", body.path])
        _ = try aws(["s3api", "get-object", "--bucket", "e2e-bucket", "--key", "hello.txt", folder.appendingPathComponent("out.txt").path])
        _ = try aws(["s3api", "list-objects-v2", "--bucket", "e2e-bucket"])
        let created = try aws(["sqs", "create-queue", "--queue-name", "e2e-jobs"])
        guard let object = try? JSONSerialization.jsonObject(with: Data(created.utf8)) as? [String: Any],
              let queueURL = object["QueueUrl"] as? String else {
            throw RecordingError(description: "create-queue printed no QueueUrl: \(created)")
        }
        _ = try aws(["sqs", "send-message", "--queue-url", queueURL, "--message-body", "job"])
        _ = try aws(["dynamodb", "create-table", "--table-name", "e2e", "--attribute-definitions", "AttributeName=id,AttributeType=S",
                     "--key-schema", "AttributeName=id,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST"])
        _ = try aws(["dynamodb", "put-item", "--table-name", "e2e", "--item", #"{"id":{"S":"1"}}"#])

        // The sink writes each datagram as it arrives; wait until the last call's event is in.
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            let text = (try? String(contentsOf: events, encoding: .utf8)) ?? ""
            if text.contains(#""Api":"PutItem""#) && text.contains(#""Type":"ApiCall","#) { break }
            usleep(50_000)
        }
        usleep(200_000)
        return events
    }

    private static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    #if canImport(Glibc)
    private static let streamType = Int32(SOCK_STREAM.rawValue)
    private static let datagramType = Int32(SOCK_DGRAM.rawValue)
    #else
    private static let streamType = SOCK_STREAM
    private static let datagramType = SOCK_DGRAM
    #endif

    /// A port nobody listens on now (the kernel's choice for port 0).
    private static func freePort(_ type: Int32) -> Int {
        let descriptor = socket(AF_INET, type, 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Waits until something holds the UDP port: binding it ourselves then fails.
    private static func waitForSink(port: Int, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let descriptor = socket(AF_INET, datagramType, 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(descriptor)
            if bound != 0 { return true }
            usleep(50_000)
        }
        return false
    }

    private static func waitForListener(port: Int, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let descriptor = socket(AF_INET, streamType, 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(descriptor)
            if connected == 0 { return true }
            usleep(100_000)
        }
        return false
    }
}
