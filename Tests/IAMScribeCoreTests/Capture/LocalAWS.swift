import Foundation
import TestSupport

/// A moto server on a free loopback port, and the workload script that drives it, for the tests
/// that capture real SDK traffic. Tests skip when moto or boto3 are missing.
final class LocalAWS {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../..").standardizedFileURL

    /// Whether moto's server, boto3 and (when asked) tcpdump are installed, and we run as root.
    static func available(tcpdump: Bool = false) -> Bool {
        guard which("moto_server") != nil, which("python3") != nil, getuid() == 0 else { return false }
        return !tcpdump || which("tcpdump") != nil
    }

    static func which(_ name: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return ["/usr/sbin/\(name)", "/sbin/\(name)"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func freePort() -> UInt16 {
        Loopback.freePort()
    }

    let port: UInt16
    private let process: Process

    /// Starts moto and waits until it answers.
    init() throws {
        port = Self.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.which("moto_server") ?? "moto_server")
        process.arguments = ["-H", "127.0.0.1", "-p", "\(port)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<100 {
            if Self.answers(port: port) { return }
            usleep(100_000)
        }
        kill(process.processIdentifier, SIGKILL)
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "moto_server did not start"])
    }

    deinit {
        // moto's server does not stop on SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    private static func answers(port: UInt16) -> Bool {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// Runs Scripts/lib/aws_workload.py against this server.
    func runWorkload(_ arguments: [String] = ["--boto3"]) throws {
        let script = Self.repository.appendingPathComponent("Scripts/lib/aws_workload.py").path
        let workload = Process()
        workload.executableURL = URL(fileURLWithPath: Self.which("python3") ?? "/usr/bin/python3")
        workload.arguments = [script, "\(port)"] + arguments
        workload.standardOutput = FileHandle.nullDevice
        try workload.run()
        workload.waitUntilExit()
        guard workload.terminationStatus == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "the workload failed"])
        }
    }
}
