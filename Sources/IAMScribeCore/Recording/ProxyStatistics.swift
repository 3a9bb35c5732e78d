#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// What the HTTPS proxy has seen: its connections, the exchanges it decoded, and what went wrong.
///
/// Kept in the core (the proxy itself lives in the `IAMScribeProxy` module, over SwiftNIO) so that
/// ``CallSourceStatistics`` can carry it and the CLI can render it without knowing NIO.
public struct ProxyStatistics: Sendable, Equatable {
    /// Client connections accepted.
    public var connections = 0
    /// `CONNECT` tunnels whose TLS iamscribe terminated (AWS hosts and `--intercept` patterns).
    public var intercepted = 0
    /// `CONNECT` tunnels passed through untouched (every other host).
    public var tunnelled = 0
    /// Decrypted connections whose client chose HTTP/2 (by ALPN); the others speak HTTP/1.1.
    public var http2 = 0
    /// Upstream connections that spoke HTTP/2 (ALPN `h2`, offered only for an HTTP/2 client's streams).
    public var http2UpstreamConnections = 0
    /// Client streams carried on a stream of an upstream HTTP/2 connection.
    public var http2UpstreamStreams = 0
    /// Requests sent again on a new upstream connection because the endpoint's `GOAWAY` left
    /// their upstream HTTP/2 stream unprocessed (each time counts; each new stream counts in
    /// ``http2UpstreamStreams`` too).
    public var http2UpstreamRetries = 0
    /// HTTP/2 uploads without a `content-length` whose whole body came within the hold limit:
    /// sent to an HTTP/1.1 upstream with a `content-length` (S3 refuses a chunked PutObject).
    public var uploadsGivenLength = 0
    /// HTTP/2 uploads without a `content-length` larger (or slower) than the hold limit: sent to
    /// an HTTP/1.1 upstream chunked.
    public var uploadsSentChunked = 0
    /// HTTP/2 streams reset for a protocol error, by reason; their connection went on.
    public var http2StreamsReset: [String: Int] = [:]
    /// Request/response exchanges relayed through an intercepted connection or as plain HTTP.
    public var exchanges = 0
    /// Exchanges that became calls.
    public var calls = 0
    /// Exchanges that were not AWS requests.
    public var notAWS = 0
    /// AWS exchanges whose operation could not be told.
    public var unknownOperation = 0
    /// Requests answered with a 502 because the upstream could not be reached or verified.
    public var upstreamFailures = 0
    /// Client connections closed for a malformed request or a failed TLS handshake, by reason.
    public var rejected: [String: Int] = [:]
    /// The most recent upstream failure, as told to the client in the 502.
    public var lastUpstreamFailure: String?
    /// When the last exchange ended.
    public var lastActivity: Date?

    /// Statistics with nothing seen.
    public init() {}

    /// Every rejected connection, whatever the reason.
    public var rejectedTotal: Int { rejected.values.reduce(0, +) }
}
