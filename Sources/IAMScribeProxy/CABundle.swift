#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import IAMScribeCore

/// The CA bundle handed to clients: the system's roots followed by iamscribe's CA, so that a
/// client pointed at it still trusts every host the proxy only tunnels.
public enum CABundle {
    /// Where Linux distributions and macOS keep the system's roots, in PEM.
    static let systemBundles = [
        "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/ca-bundle.pem",
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/etc/ssl/cert.pem",
    ]

    /// The bundle file's name in the CA's folder.
    public static let fileName = "ca-bundle.pem"

    /// Writes the bundle into the CA's folder (0644) and returns its path.
    ///
    /// - Parameter authority: The CA.
    /// - Returns: The bundle's path.
    /// - Throws: ``IAMScribeError`` when it cannot be written.
    public static func write(for authority: CertificateAuthority) throws -> String {
        var text = ""
        if let system = systemBundles.lazy.compactMap({ try? String(contentsOfFile: $0, encoding: .utf8) }).first {
            text = system.hasSuffix("\n") || system.isEmpty ? system : system + "\n"
        }
        let pem: String
        do {
            pem = try authority.certificatePEM()
        } catch {
            throw IAMScribeError(.unwritableOutput, "cannot encode iamscribe's CA", underlying: DescribedError(error))
        }
        text += "# iamscribe local proxy CA (\(authority.folder))\n" + pem
        let path = joinedPath(authority.folder, fileName)
        try AtomicFile.write(Data(text.utf8), to: path, mode: 0o644)
        return path
    }
}
