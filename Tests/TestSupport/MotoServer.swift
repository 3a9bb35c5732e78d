import Foundation

/// moto's server on a free loopback port, over plain HTTP or over TLS: the AWS endpoint of the
/// end-to-end and proxy tests. Stopped when released.
public final class MotoServer: @unchecked Sendable {
    public let port: Int
    /// The CA file clients trust when it serves TLS.
    private let authority: String?
    private let process: Process

    /// Its endpoint by address (`https://` when it serves TLS).
    public var endpoint: String { "\(authority == nil ? "http" : "https")://127.0.0.1:\(port)" }

    /// Starts moto; a port taken between choosing and binding it (tests run in parallel) means
    /// another try on another port. Startup is slow on a loaded machine: up to 40 s per try.
    ///
    /// - Parameter certificates: The certificate and key to serve over TLS; plain HTTP when nil.
    ///   It is ready when curl, trusting only their CA, gets an answer.
    public init(certificates: TestCertificates? = nil) throws {
        authority = certificates?.authority
        (port, process) = try Self.launch(certificates: certificates)
    }

    private static func launch(certificates: TestCertificates?) throws -> (Int, Process) {
        for attempt in 1...3 {
            let port = Int(Loopback.freePort())
            var arguments = ["moto_server", "-H", "127.0.0.1", "-p", String(port)]
            var probe = ["curl", "-s", "-o", "/dev/null", "http://127.0.0.1:\(port)/"]
            if let certificates {
                arguments += ["--ssl-cert", certificates.certificate, "--ssl-key", certificates.key]
                // Verified against the CA alone: a TLS fixture works only if the chain is right.
                probe = ["curl", "-s", "-o", "/dev/null", "--cacert", certificates.authority, "https://127.0.0.1:\(port)/"]
            }
            let process = try started(arguments)
            let deadline = Date().addingTimeInterval(40)
            var ready = false
            while process.isRunning && Date() < deadline {
                if (try? status(probe)) == 0 {
                    ready = true
                    break
                }
                usleep(100_000)
            }
            if ready && process.isRunning { return (port, process) }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if attempt == 3 { break }
        }
        throw TestCertificates.Failure(description: "moto_server did not start\(certificates == nil ? "" : " over TLS")")
    }

    deinit {
        // moto_server ignores SIGTERM while serving.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// The exit status of a command run through env, its output discarded.
    static func status(_ arguments: [String]) throws -> Int32 {
        let process = try started(arguments)
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// A command started through env, its output discarded.
    private static func started(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}
