import Foundation
@testable import IAMScribeProxy
import IAMScribeCore
import Synchronization
import Testing

/// Real parts for the proxy's tests: temporary CA folders, the Python test server (plain or TLS),
/// curl as the client, and a proxy started in-process that collects its calls.
enum ProxyTestSupport {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let serverScript = root.appendingPathComponent("Scripts/lib/test_http_server.py").path

    /// Whether curl and python3 are installed (Scripts/setup installs them).
    static let available: Bool = {
        let which = { (name: String) in (try? run(["/bin/sh", "-c", "command -v \(name)"]).status) == 0 }
        return which("curl") && which("python3")
    }()

    /// A new empty folder under the temporary directory.
    static func temporaryFolder(_ name: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// A new folder holding a CA of its own (not the proxy's) and a `localhost` certificate it
    /// signed: `server.pem` and `server-key.pem` beside the CA's certificate, `caFile`.
    static func localhostCertificate(_ name: String) throws -> (folder: String, caFile: String) {
        let folder = try temporaryFolder(name)
        let authority = try CertificateAuthority.open(folder: folder)
        let leaf = try authority.leafPEM(for: "localhost")
        try leaf.certificate.write(toFile: folder + "/server.pem", atomically: true, encoding: .utf8)
        try leaf.key.write(toFile: folder + "/server-key.pem", atomically: true, encoding: .utf8)
        return (folder, CertificateAuthority.certificatePath(in: folder))
    }

    /// A sparse file of zeros in a folder, for uploads larger than the proxy may hold.
    static func sparseFile(in folder: String, size: Int) throws -> String {
        let file = folder + "/large.bin"
        FileManager.default.createFile(atPath: file, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        try handle.truncate(atOffset: UInt64(size))
        try handle.close()
        return file
    }

    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs a program and waits for it.
    static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let environment { process.environment = environment }
        let stdoutFile = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-out-\(UUID())")
        let stderrFile = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-err-\(UUID())")
        FileManager.default.createFile(atPath: stdoutFile.path, contents: nil)
        FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: stdoutFile)
            try? FileManager.default.removeItem(at: stderrFile)
        }
        process.standardOutput = try FileHandle(forWritingTo: stdoutFile)
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return Output(status: process.terminationStatus,
                      stdout: (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "")
    }
}

/// The Python test server (Scripts/lib/test_http_server.py) on a free loopback port.
final class TestServer {
    let port: Int
    private let process: Process

    /// Starts it; with a certificate and key (PEM files) it speaks TLS.
    init(certificate: String? = nil, key: String? = nil) throws {
        var arguments = ["python3", ProxyTestSupport.serverScript]
        if let certificate, let key { arguments += ["--cert", certificate, "--key", key] }
        (process, port) = try Self.start(arguments, what: "the test server")
    }

    /// Starts a server program that prints the port it listens on as its first line.
    ///
    /// - Returns: The running process and its port.
    static func start(_ arguments: [String], what: String) throws -> (Process, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            throw TestFailure("\(what) did not print its port: \(line.debugDescription)")
        }
        return (process, port)
    }

    deinit {
        // SIGKILL: a child of a test thread may start with every other signal blocked.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A proxy started in-process, with its own CA folder, collecting the calls it delivers.
final class RunningProxy {
    let source: ProxyCallSource
    let folder: String
    let bundle: String
    private let collected = Collected()

    final class Collected: Sendable {
        let calls = Mutex<[ObservedCall]>([])
    }

    init(intercept: [String] = [], forwardTo: String? = nil, upstreamCAFile: String? = nil, upstreamProxy: String? = nil) throws {
        folder = try ProxyTestSupport.temporaryFolder("ca")
        let authority = try CertificateAuthority.open(folder: folder)
        let configuration = ProxyConfiguration(
            host: "127.0.0.1", port: 0, intercept: intercept, upstreamCAFile: upstreamCAFile,
            upstreamProxy: try upstreamProxy.map { try ProxyConfiguration.Endpoint(url: $0, option: "--upstream-proxy") },
            forwardTo: try forwardTo.map { try ProxyConfiguration.Endpoint(url: $0, option: "--forward-to") })
        source = ProxyCallSource(configuration: configuration, authority: authority)
        bundle = try CABundle.write(for: authority)
        try source.start { [collected] calls in collected.calls.withLock { $0 += calls } }
    }

    var url: String { "http://127.0.0.1:\(source.port ?? 0)" }
    var calls: [ObservedCall] { collected.calls.withLock { $0 } }

    var statistics: ProxyStatistics {
        guard case .proxy(let statistics) = source.statistics else { return ProxyStatistics() }
        return statistics
    }

    /// curl through the proxy, trusting the bundle (system roots plus the proxy's CA) unless
    /// `caFile` names another; prints the status code last.
    func curl(_ arguments: [String], caFile: String? = nil) throws -> ProxyTestSupport.Output {
        try ProxyTestSupport.run(["curl", "-sS", "--max-time", "60", "--proxy", url, "--cacert", caFile ?? bundle,
                                  "-w", "\n%{http_code}"] + arguments)
    }

    deinit {
        source.stop()
        try? FileManager.default.removeItem(atPath: folder)
    }
}
