import Foundation
@testable import IAMScribeProxy
import IAMScribeCore
import SwiftASN1
import Testing
import X509

@Suite struct CertificateAuthorityTests {
    private func mode(_ path: String) -> mode_t {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o777 : 0
    }

    @Test func theFolderAndKeyArePrivateAndTheCAIsKept() throws {
        let parent = try ProxyTestSupport.temporaryFolder("ca-parent")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let folder = parent + "/home/.iamscribe"
        let first = try CertificateAuthority.open(folder: folder)
        #expect(mode(folder) == 0o700)
        #expect(mode(folder + "/ca-key.pem") == 0o600)
        #expect(mode(folder + "/ca.pem") == 0o644)
        let key = try String(contentsOfFile: folder + "/ca-key.pem", encoding: .utf8)
        #expect(key.contains("BEGIN PRIVATE KEY"))
        // Opened again: the same CA, not a new one.
        let second = try CertificateAuthority.open(folder: folder)
        #expect(second.certificate == first.certificate)
        #expect(try first.certificatePEM().hasPrefix("-----BEGIN CERTIFICATE-----"))
        let constraints = try #require(try first.certificate.extensions.basicConstraints)
        #expect(constraints == .isCertificateAuthority(maxPathLength: 0))
        // A folder left open to others is closed again.
        chmod(folder, 0o755)
        _ = try CertificateAuthority.open(folder: folder)
        #expect(mode(folder) == 0o700)
    }

    @Test func aKeyOthersCanReadIsRefusedAndRotateReplacesIt() throws {
        let folder = try ProxyTestSupport.temporaryFolder("ca")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let old = try CertificateAuthority.open(folder: folder)
        chmod(folder + "/ca-key.pem", 0o644)
        let error = try #require(throws: IAMScribeError.self) { try CertificateAuthority.open(folder: folder) }
        #expect(error.reason.contains("can be read by other users (mode 644)"))
        #expect(error.reason.contains("iamscribe ca rotate"))
        let new = try CertificateAuthority.rotate(folder: folder)
        #expect(new.certificate != old.certificate)
        #expect(mode(folder + "/ca-key.pem") == 0o600)
    }

    @Test func theWorkingDirectoryIsRefused() throws {
        let error = try #require(throws: IAMScribeError.self) { try CertificateAuthority.open(folder: ".") }
        #expect(error.reason.contains("is the working directory"))
        #expect(!FileManager.default.fileExists(atPath: "./ca-key.pem"))
    }

    @Test func theHomeFolderIsIAMSCRIBE_HOMEOrUnderHome() {
        #expect(CertificateAuthority.defaultFolder(environment: ["IAMSCRIBE_HOME": "/x/y", "HOME": "/h"]) == "/x/y")
        #expect(CertificateAuthority.defaultFolder(environment: ["HOME": "/h"]) == "/h/.iamscribe")
    }

    @Test func leavesNameTheirHostAreShortLivedAndCached() throws {
        let folder = try ProxyTestSupport.temporaryFolder("ca")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let authority = try CertificateAuthority.open(folder: folder)
        let leaf = try authority.mint(host: "sts.us-east-1.amazonaws.com", now: Date())
        #expect(try leaf.extensions.subjectAlternativeNames == SubjectAlternativeNames([.dnsName("sts.us-east-1.amazonaws.com")]))
        #expect(leaf.issuer == authority.certificate.subject)
        #expect(leaf.notValidAfter.timeIntervalSince(leaf.notValidBefore) <= 3 * 24 * 3600)
        #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try leaf.extensions.extendedKeyUsage?.contains(.serverAuth) == true)
        // The CA's key signed it.
        #expect(authority.certificate.publicKey.isValidSignature(leaf.signature, for: leaf))
        let ip = try authority.mint(host: "127.0.0.1", now: Date())
        #expect(try ip.extensions.subjectAlternativeNames == SubjectAlternativeNames([.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))]))
        let first = try authority.leaf(for: "S3.amazonaws.com")
        let again = try authority.leaf(for: "s3.amazonaws.com")
        #expect(first.chain.count == 2)
        #expect(first.chain[0] == again.chain[0])
    }

    @Test func interceptPatterns() {
        let configuration = ProxyConfiguration(intercept: ["*.example.test", "exact.test"])
        #expect(configuration.intercepts("s3.us-east-1.amazonaws.com"))
        #expect(configuration.intercepts("bucket.s3.cn-north-1.amazonaws.com.cn"))
        #expect(configuration.intercepts("sts.us-east-1.api.aws"))
        #expect(configuration.intercepts("a.b.example.test"))
        #expect(configuration.intercepts("EXACT.test"))
        #expect(!configuration.intercepts("example.test"))
        #expect(!configuration.intercepts("other.exact.test"))
        #expect(!configuration.intercepts("amazonaws.com.evil.test"))
        #expect(!configuration.intercepts("oidc.eks.example.org"))
        #expect(!configuration.intercepts("github.com"))
        #expect(ProxyConfiguration.patternProblem("*.ok.test") == nil)
        #expect(ProxyConfiguration.patternProblem("a*.test") != nil)
        #expect(ProxyConfiguration.patternProblem("*.") != nil)
        #expect(ProxyConfiguration.patternProblem("bad/host") != nil)
    }

    @Test func endpointsAndConnectTargetsParseOrSayWhy() throws {
        let moto = try ProxyConfiguration.Endpoint(url: "http://127.0.0.1:5000", option: "--forward-to")
        #expect(moto == .init(host: "127.0.0.1", port: 5000, tls: false))
        #expect(try ProxyConfiguration.Endpoint(url: "https://[::1]", option: "--forward-to") == .init(host: "::1", port: 443, tls: true))
        #expect(try ProxyConfiguration.Endpoint(url: "https://[::1]", option: "--forward-to").authority == "[::1]:443")
        for bad in ["127.0.0.1:5000", "ftp://host", "http://", "http://host:70000"] {
            let error = try #require(throws: IAMScribeError.self) { try ProxyConfiguration.Endpoint(url: bad, option: "--forward-to") }
            #expect(error.reason.hasPrefix("--forward-to"))
        }
        #expect(ExchangeHandler.authority("s3.amazonaws.com:443")! == ("s3.amazonaws.com", 443))
        #expect(ExchangeHandler.authority("[::1]:8443")! == ("::1", 8443))
        for bad in ["s3.amazonaws.com", ":443", "host:0", "host:99999", "a b:1", "/x:1"] {
            #expect(ExchangeHandler.authority(bad) == nil, "\(bad)")
        }
        let absolute = try #require(URLComponents(string: "http://b.s3.amazonaws.com/k%20ey?uploads&x=1"))
        #expect(ExchangeHandler.originForm(absolute) == "/k%20ey?uploads&x=1")
        #expect(ExchangeHandler.originForm(try #require(URLComponents(string: "http://sqs.amazonaws.com"))) == "/")
    }
}
