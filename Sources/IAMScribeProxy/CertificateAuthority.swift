import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import IAMScribeCore
import NIOSSL
import SwiftASN1
import Synchronization
import X509

/// iamscribe's own certificate authority: the key and certificate the proxy signs its leaf
/// certificates with, kept in a folder of the user's (`~/.iamscribe/`, or `IAMSCRIBE_HOME`).
///
/// The CA can sign for any host name, so its key is the one secret the proxy writes: the folder is
/// made 0700, the key file 0600, and a key file other users could read is refused. The folder is
/// never the working directory. Leaf certificates (one per host name, with that name in the
/// subject alternative names, valid for two days) are minted on first use and cached; they share
/// one key pair made fresh each time the CA is opened.
public final class CertificateAuthority: Sendable {
    /// The folder the CA lives in.
    public let folder: String
    /// The CA's certificate.
    public let certificate: Certificate
    private let key: P256.Signing.PrivateKey
    private let leafKey = P256.Signing.PrivateKey()
    private let leafKeySSL: NIOSSLPrivateKey
    private let caSSL: NIOSSLCertificate
    private let leaves = Mutex<[String: Leaf]>([:])

    /// A minted leaf certificate and when to mint it again.
    struct Leaf {
        let chain: [NIOSSLCertificate]
        let renewAfter: Date
    }

    /// The file names inside the folder.
    public static let certificateFile = "ca.pem"
    public static let keyFile = "ca-key.pem"
    /// How long a leaf certificate is valid (it is re-minted well before).
    static let leafValidity: TimeInterval = 2 * 24 * 3600
    /// The most host names whose leaves are kept.
    static let maximumLeaves = 1024

    /// The folder iamscribe keeps its CA in: `IAMSCRIBE_HOME` when set, else `~/.iamscribe`.
    ///
    /// - Parameter environment: The environment to read `IAMSCRIBE_HOME` and `HOME` from.
    public static func defaultFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let home = environment["IAMSCRIBE_HOME"], !home.isEmpty { return home }
        let user = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (getpwuid(getuid()).flatMap { $0.pointee.pw_dir.map { String(cString: $0) } } ?? "/")
        return joinedPath(user, ".iamscribe")
    }

    /// The CA certificate's path inside a folder.
    public static func certificatePath(in folder: String) -> String {
        joinedPath(folder, certificateFile)
    }

    /// Opens the CA in a folder, creating the folder, key and certificate on first use.
    ///
    /// - Parameter folder: The folder (see ``defaultFolder(environment:)``).
    /// - Returns: The CA.
    /// - Throws: ``IAMScribeError`` when the folder is the working directory, when the key could be
    ///   read by other users, or when the files cannot be read, parsed or written.
    public static func open(folder: String) throws -> CertificateAuthority {
        try prepare(folder)
        return try withLock(folder) { try load(folder: folder, creating: true) }
    }

    /// Loads the CA of a folder, the caller holding the folder's lock; makes it when `creating`
    /// and a file is missing.
    private static func load(folder: String, creating: Bool) throws -> CertificateAuthority {
        let keyPath = joinedPath(folder, keyFile)
        let certificatePath = certificatePath(in: folder)
        if creating, !FileManager.default.fileExists(atPath: keyPath) || !FileManager.default.fileExists(atPath: certificatePath) {
            try create(in: folder)
        }
        var info = stat()
        guard stat(keyPath, &info) == 0 else {
            throw IAMScribeError(.invalidConfiguration, "cannot read the CA key \(keyPath): \(String(cString: strerror(errno)))")
        }
        if info.st_mode & 0o077 != 0 {
            throw IAMScribeError(.invalidConfiguration, """
                the CA key \(keyPath) can be read by other users (mode \(String(info.st_mode & 0o777, radix: 8))); \
                anyone holding it can impersonate any web site to this machine: run `iamscribe ca rotate` for a new one
                """)
        }
        do {
            let keyText = try String(contentsOfFile: keyPath, encoding: .utf8)
            let certificateText = try String(contentsOfFile: certificatePath, encoding: .utf8)
            let key = try P256.Signing.PrivateKey(pemRepresentation: keyText)
            let certificate = try Certificate(pemEncoded: certificateText)
            guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
                throw IAMScribeError(.invalidConfiguration, "the CA certificate \(certificatePath) does not belong to the key \(keyPath); run `iamscribe ca rotate`")
            }
            return try CertificateAuthority(folder: folder, certificate: certificate, key: key)
        } catch let error as IAMScribeError {
            throw error
        } catch {
            throw IAMScribeError(.invalidConfiguration, "cannot load iamscribe's CA from \(folder) (run `iamscribe ca rotate` for a new one)",
                                 underlying: DescribedError(error))
        }
    }

    /// Replaces the CA's key and certificate with new ones.
    ///
    /// - Parameter folder: The folder.
    /// - Returns: The new CA.
    /// - Throws: ``IAMScribeError`` when the files cannot be written.
    @discardableResult
    public static func rotate(folder: String) throws -> CertificateAuthority {
        try prepare(folder)
        return try withLock(folder) {
            try create(in: folder)
            return try load(folder: folder, creating: false)
        }
    }

    /// The lock file iamscribe processes take before they make, replace or read the CA, so that
    /// processes started at once on a fresh folder (`record --mode proxy &` then `ca export`;
    /// parallel `run --mode proxy` jobs) make one CA between them and read a key with its own
    /// certificate.
    static let lockFile = "ca.lock"

    /// Runs `body` holding an exclusive `flock` on the folder's lock file (0600).
    private static func withLock<T>(_ folder: String, _ body: () throws -> T) throws -> T {
        let path = joinedPath(folder, lockFile)
        let descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw IAMScribeError(.unwritableOutput, "cannot open the CA's lock file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw IAMScribeError(.unwritableOutput, "cannot lock the CA's lock file \(path): \(String(cString: strerror(errno)))")
            }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    private init(folder: String, certificate: Certificate, key: P256.Signing.PrivateKey) throws {
        self.folder = folder
        self.certificate = certificate
        self.key = key
        leafKeySSL = try NIOSSLPrivateKey(bytes: Array(leafKey.derRepresentation), format: .der)
        caSSL = try NIOSSLCertificate(bytes: try Self.der(certificate), format: .der)
    }

    /// The CA certificate in PEM, for trust stores.
    public func certificatePEM() throws -> String {
        try certificate.serializeAsPEM().pemString + "\n"
    }

    /// The certificate chain (leaf, then the CA) and key to serve for a host name.
    ///
    /// - Parameter host: The host name the client asked for (SNI, or the `CONNECT` target).
    /// - Returns: The chain and the leaves' shared private key.
    /// - Throws: When the certificate cannot be made (a name X.509 cannot hold).
    public func leaf(for host: String) throws -> (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) {
        let host = host.lowercased()
        let now = Date()
        if let cached = leaves.withLock({ $0[host] }), cached.renewAfter > now {
            return (cached.chain, leafKeySSL)
        }
        let leaf = try mint(host: host, now: now)
        let chain = [try NIOSSLCertificate(bytes: try Self.der(leaf), format: .der), caSSL]
        leaves.withLock { leaves in
            if leaves.count >= Self.maximumLeaves { leaves.removeAll() }
            leaves[host] = Leaf(chain: chain, renewAfter: now.addingTimeInterval(Self.leafValidity / 2))
        }
        return (chain, leafKeySSL)
    }

    /// A leaf certificate for a host and the leaves' key, in PEM: for a TLS server of one's own
    /// (the tests' upstream servers).
    func leafPEM(for host: String) throws -> (certificate: String, key: String) {
        let leaf = try mint(host: host.lowercased(), now: Date())
        return (try leaf.serializeAsPEM().pemString + "\n" + (try certificatePEM()), leafKey.pemRepresentation + "\n")
    }

    /// A leaf certificate for one host name (or IP address), signed by the CA.
    func mint(host: String, now: Date) throws -> Certificate {
        let name: GeneralName
        if let address = Self.ipAddressBytes(host) {
            name = .ipAddress(ASN1OctetString(contentBytes: address[...]))
        } else {
            name = .dnsName(host)
        }
        let publicKey = Certificate.PublicKey(leafKey.publicKey)
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([.serverAuth])
            SubjectAlternativeNames([name])
            SubjectKeyIdentifier(hash: publicKey)
            AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier)
        }
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(Self.leafValidity),
            issuer: certificate.subject,
            subject: try DistinguishedName {
                OrganizationName("iamscribe proxy")
                CommonName(String(host.prefix(64)))
            },
            signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: Certificate.PrivateKey(key))
    }

    /// Makes the folder (0700) when missing; refuses the working directory.
    private static func prepare(_ folder: String) throws {
        let resolved = URL(fileURLWithPath: folder).standardizedFileURL.resolvingSymlinksInPath().path
        let current = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.resolvingSymlinksInPath().path
        if resolved == current {
            throw IAMScribeError(.invalidConfiguration, """
                iamscribe's CA folder \(folder) is the working directory; the CA key must not sit beside a project \
                (it could be committed or shared): set IAMSCRIBE_HOME to a folder of its own
                """)
        }
        var info = stat()
        if stat(folder, &info) != 0 {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw IAMScribeError(.unwritableOutput, "cannot create iamscribe's CA folder \(folder)", underlying: DescribedError(error))
            }
        } else if info.st_mode & S_IFMT != S_IFDIR {
            throw IAMScribeError(.invalidConfiguration, "iamscribe's CA folder \(folder) is not a folder")
        }
        // Only the owner may list or enter it, whatever the umask or an earlier run left.
        if chmod(folder, 0o700) != 0 {
            throw IAMScribeError(.unwritableOutput, "cannot make \(folder) private (chmod 700): \(String(cString: strerror(errno)))")
        }
    }

    /// Writes a new key (0600) and self-signed CA certificate (0644) into the folder.
    private static func create(in folder: String) throws {
        let key = P256.Signing.PrivateKey()
        let privateKey = Certificate.PrivateKey(key)
        let host = ProcessInfo.processInfo.hostName
        let now = Date()
        let stamp = now.ISO8601Format()
        do {
            let name = try DistinguishedName {
                OrganizationName("iamscribe")
                CommonName(String("iamscribe local proxy CA (\(host), \(stamp))".prefix(64)))
            }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: privateKey.publicKey)
            }
            let certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: privateKey.publicKey,
                notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(5 * 365 * 24 * 3600),
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
                issuerPrivateKey: privateKey)
            // The key first, so that a certificate never exists without its key.
            try AtomicFile.write(Data(key.pemRepresentation.utf8), to: joinedPath(folder, keyFile), mode: 0o600)
            try AtomicFile.write(Data((try certificate.serializeAsPEM().pemString + "\n").utf8), to: certificatePath(in: folder), mode: 0o644)
        } catch let error as IAMScribeError {
            throw error
        } catch {
            throw IAMScribeError(.unwritableOutput, "cannot create iamscribe's CA in \(folder)", underlying: DescribedError(error))
        }
    }

    private static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    /// The bytes of an IPv4 or IPv6 address literal, or nil for a host name.
    static func ipAddressBytes(_ host: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
