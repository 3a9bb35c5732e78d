import Foundation

/// A certificate authority and a server certificate it signed, for 127.0.0.1 and localhost, made
/// with the openssl command-line tool in a temporary folder (removed when released): what a TLS
/// test server serves, and what its clients (or `--upstream-ca`) trust.
public final class TestCertificates: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The folder holding the files.
    public let directory: URL
    /// The CA's certificate (PEM): the file clients trust.
    public var authority: String { directory.appendingPathComponent("ca.pem").path }
    /// The server's certificate (PEM), for the names and addresses given, signed by the CA.
    public var certificate: String { directory.appendingPathComponent("server.pem").path }
    /// The server's private key (PEM, unencrypted).
    public var key: String { directory.appendingPathComponent("server.key").path }

    /// Makes a CA (ECDSA P-256, valid a day) and a server certificate for the names given.
    ///
    /// - Parameters:
    ///   - names: DNS names the server certificate holds.
    ///   - addresses: IP addresses it holds.
    ///   - commonName: The CA's common name, so that two authorities can be told apart.
    /// - Throws: When openssl is missing or fails.
    public init(names: [String] = ["localhost"], addresses: [String] = ["127.0.0.1"],
                commonName: String = "iamscribe test CA") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-tls-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = { (name: String) in self.directory.appendingPathComponent(name).path }
        let alternativeNames = (names.map { "DNS:\($0)" } + addresses.map { "IP:\($0)" }).joined(separator: ",")
        try FileManager.default.createFile(atPath: path("server.ext"), contents: Data("""
            basicConstraints=CA:FALSE
            keyUsage=digitalSignature,keyEncipherment
            extendedKeyUsage=serverAuth
            subjectAltName=\(alternativeNames)

            """.utf8))
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try Self.openssl(["req", "-x509"] + curve + ["-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "1",
                                                     "-subj", "/CN=\(commonName)",
                                                     "-addext", "basicConstraints=critical,CA:TRUE",
                                                     "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try Self.openssl(["req"] + curve + ["-keyout", path("server.key"), "-out", path("server.csr"),
                                            "-subj", "/CN=\(names.first ?? addresses.first ?? "localhost")"])
        try Self.openssl(["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                          "-CAcreateserial", "-out", path("server.pem"), "-days", "1", "-extfile", path("server.ext")])
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "openssl \(arguments.prefix(2).joined(separator: " ")) failed: \(String(decoding: message, as: UTF8.self))")
        }
    }
}

/// moto's server over TLS on a free loopback port, serving a certificate from ``TestCertificates``
/// (for 127.0.0.1 and localhost): the upstream of proxy tests, trusted with the CA file only
/// (`curl --cacert`, `AWS_CA_BUNDLE`, `--upstream-ca`). Stopped when released.
public final class TLSMoto: @unchecked Sendable {
    /// The certificates it serves; ``TestCertificates/authority`` is the CA to trust.
    public let certificates: TestCertificates
    /// The moto server it runs.
    private let server: MotoServer
    public var port: Int { server.port }

    /// Its endpoint by address.
    public var endpoint: String { "https://127.0.0.1:\(port)" }
    /// Its endpoint by name.
    public var localhostEndpoint: String { "https://localhost:\(port)" }

    /// Whether moto_server, openssl and curl are installed (Scripts/setup installs them).
    public static let available: Bool = ["moto_server", "openssl", "curl"].allSatisfy { name in
        (try? MotoServer.status(["sh", "-c", "command -v \(name)"])) == 0
    }

    /// Starts moto (``MotoServer``) with a new CA's server certificate.
    ///
    /// - Parameter certificates: What to serve; a new CA and certificate when nil.
    public init(certificates: TestCertificates? = nil) throws {
        let certificates = try certificates ?? TestCertificates()
        self.certificates = certificates
        server = try MotoServer(certificates: certificates)
    }
}
