import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import IAMScribeCore
import IAMScribeProxy

/// `iamscribe ca`: the CA the HTTPS proxy signs its certificates with.
struct CA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca",
        abstract: "Show, export or replace the CA that --mode proxy signs its certificates with.",
        discussion: """
        The CA is made on first use in ~/.iamscribe/ (or $IAMSCRIBE_HOME): ca.pem (the certificate) and \
        ca-key.pem (its key, mode 0600, in a folder of mode 0700). Whoever holds the key can impersonate \
        any web site to a client that trusts the CA: trust it only where you run iamscribe, and remove the \
        folder (and the certificate from any trust store you added it to) when done.
        """,
        subcommands: [Path.self, Export.self, Rotate.self]
    )

    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the CA certificate's path (making the CA if there is none).")

        func run() throws {
            let authority = try CA.open()
            print(CertificateAuthority.certificatePath(in: authority.folder))
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the CA certificate in PEM, for a trust store (the key never leaves its folder).",
            discussion: "Java: iamscribe ca export > iamscribe-ca.pem; keytool -importcert -noprompt -alias iamscribe -file iamscribe-ca.pem -keystore iamscribe.jks -storepass changeit")

        func run() throws {
            let authority = try CA.open()
            do {
                Output.write(try authority.certificatePEM())
            } catch {
                Output.error("cannot encode the CA certificate: \(error)")
                throw ExitCode.failure
            }
        }
    }

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the CA's key and certificate with new ones; trust stores that held the old one need the new one.")

        func run() throws {
            let folder = CertificateAuthority.defaultFolder()
            do {
                let authority = try CertificateAuthority.rotate(folder: folder)
                Output.note("iamscribe: a new CA is in \(CertificateAuthority.certificatePath(in: authority.folder)); the old one no longer signs anything (remove it from any trust store you added it to)")
            } catch {
                Output.error("\(error)")
                throw ExitCode.failure
            }
        }
    }

    static func open() throws -> CertificateAuthority {
        do {
            return try CertificateAuthority.open(folder: CertificateAuthority.defaultFolder())
        } catch {
            Output.error("\(error)")
            throw ExitCode.failure
        }
    }
}
