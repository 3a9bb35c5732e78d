#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import IAMScribeCore

/// How the HTTPS proxy listens, which hosts it decrypts, and where it sends their requests.
public struct ProxyConfiguration: Sendable {
    /// A host and port, and whether TLS is spoken to it.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public var tls: Bool

        /// Creates an endpoint.
        public init(host: String, port: Int, tls: Bool) {
            self.host = host
            self.port = port
            self.tls = tls
        }

        /// Parses `http://host[:port]` or `https://host[:port]` (a path is ignored).
        ///
        /// - Parameters:
        ///   - url: The URL.
        ///   - option: The option it came from, for the error.
        /// - Throws: ``IAMScribeError`` naming what is wrong.
        public init(url: String, option: String) throws {
            guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
                  scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty else {
                throw IAMScribeError(.invalidConfiguration, "\(option) takes an http:// or https:// URL with a host, not \(url.debugDescription)")
            }
            let port = components.port ?? (scheme == "https" ? 443 : 80)
            guard (1...65535).contains(port) else {
                throw IAMScribeError(.invalidConfiguration, "\(option): the port of \(url.debugDescription) is not from 1 to 65535")
            }
            self.init(host: host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host, port: port, tls: scheme == "https")
        }

        /// `host:port`, with brackets around an IPv6 address.
        public var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
        public var description: String { (tls ? "https://" : "http://") + authority }
    }

    /// The host names decrypted and recorded when no `--intercept` pattern is given: AWS's.
    public static let awsPatterns = ["*.amazonaws.com", "*.amazonaws.com.cn", "*.api.aws"]

    /// The address to listen on.
    public var host: String
    /// The port to listen on (0 picks a free one).
    public var port: Int
    /// Host patterns decrypted and recorded besides AWS's: `name.example` or `*.example`.
    public var intercept: [String]
    /// A PEM file of extra roots to trust for upstream TLS, besides the system's.
    public var upstreamCAFile: String?
    /// A proxy that upstream connections go through, with `CONNECT`.
    public var upstreamProxy: Endpoint?
    /// Where every intercepted request goes instead of its own host (moto, LocalStack), keeping
    /// its Host header.
    public var forwardTo: Endpoint?
    /// How many bytes of a request body are kept for decoding (a larger body passes through, but
    /// the parameters it holds are not read).
    public var maximumBodyBytes: Int

    /// Creates a configuration.
    public init(host: String = "127.0.0.1", port: Int = 10080, intercept: [String] = [], upstreamCAFile: String? = nil,
                upstreamProxy: Endpoint? = nil, forwardTo: Endpoint? = nil,
                maximumBodyBytes: Int = AWSRequestDecoder.defaultMaximumBodyBytes) {
        self.host = host
        self.port = port
        self.intercept = intercept
        self.upstreamCAFile = upstreamCAFile
        self.upstreamProxy = upstreamProxy
        self.forwardTo = forwardTo
        self.maximumBodyBytes = maximumBodyBytes
    }

    /// Why a `--intercept` pattern cannot be used, or nil when it can.
    public static func patternProblem(_ pattern: String) -> String? {
        let name = pattern.hasPrefix("*.") ? String(pattern.dropFirst(2)) : pattern
        if name.isEmpty || name.contains("*") {
            return "\(pattern.debugDescription) is not a host name or *.domain pattern"
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.:")
        if !name.allSatisfy({ allowed.contains($0) }) {
            return "\(pattern.debugDescription) holds characters a host name cannot"
        }
        return nil
    }

    /// Whether a host is decrypted and recorded: an AWS host or one a `--intercept` pattern names.
    public func intercepts(_ host: String) -> Bool {
        let host = host.lowercased().trimming(["."])
        return (Self.awsPatterns + intercept).contains { Self.matches(host, pattern: $0.lowercased()) }
    }

    /// `*.domain` matches every name below the domain (not the domain itself); any other
    /// pattern matches itself only.
    static func matches(_ host: String, pattern: String) -> Bool {
        if pattern.hasPrefix("*.") { return host.hasSuffix(pattern.dropFirst(1)) && host.count > pattern.count - 1 }
        return host == pattern
    }
}

/// An error kept as its description, for ``IAMScribeError/underlying`` (which must be Sendable).
struct DescribedError: Error, Sendable, CustomStringConvertible {
    let description: String

    init(_ error: any Error) {
        description = String(describing: error)
    }
}
