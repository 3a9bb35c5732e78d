/// What a packet capture held besides the calls: counts that tell the user what was seen, what
/// could not be decoded, and why.
public struct CaptureStatistics: Sendable, Hashable {
    /// Packets read.
    public var packets = 0
    /// Bytes read (as captured).
    public var bytes = 0
    /// Packets too short or inconsistent to decode (bad headers, bad lengths).
    public var malformed = 0
    /// Packets that are not IPv4 or IPv6 (ARP, for example), or of an unsupported link layer.
    public var notIP = 0
    /// Packets cut short by the capture's snapshot length.
    public var truncated = 0
    /// IP fragments dropped: reassembly incomplete, overlapping, or over its bounds.
    public var fragmentsDropped = 0
    /// UDP datagrams to a CSM port.
    public var csmDatagrams = 0
    /// CSM events that did not parse.
    public var csmRejected = 0
    /// TCP connections seen.
    public var tcpConnections = 0
    /// HTTP requests read whole.
    public var httpRequests = 0
    /// HTTP requests (or parts of streams) skipped because segments were missing from the capture.
    public var skippedMissingData = 0
    /// HTTP requests that named no AWS service iamscribe knows (no SigV4 scope, unknown host).
    public var unidentifiedRequests = 0
    /// AWS requests whose operation could not be told from the request.
    public var unknownOperations = 0
    /// TLS connections seen (their content cannot be decoded).
    public var tlsConnections = 0
    /// TCP connections that were neither HTTP/1.1 nor TLS.
    public var otherConnections = 0
    /// AWS endpoints seen through TLS, by host name.
    public var tlsEndpoints: [String: TLSEndpoint] = [:]

    /// Creates empty statistics.
    public init() {}

    /// Adds the counts of another part of the same capture.
    mutating func add(_ other: CaptureStatistics) {
        packets += other.packets
        bytes += other.bytes
        malformed += other.malformed
        notIP += other.notIP
        truncated += other.truncated
        fragmentsDropped += other.fragmentsDropped
        csmDatagrams += other.csmDatagrams
        csmRejected += other.csmRejected
        tcpConnections += other.tcpConnections
        httpRequests += other.httpRequests
        skippedMissingData += other.skippedMissingData
        unidentifiedRequests += other.unidentifiedRequests
        unknownOperations += other.unknownOperations
        tlsConnections += other.tlsConnections
        otherConnections += other.otherConnections
        tlsEndpoints.merge(other.tlsEndpoints) { mine, theirs in
            var both = mine
            both.connections += theirs.connections
            return both
        }
    }
}

/// An AWS endpoint a client reached over TLS: its service is known from the host name (the
/// ClientHello's server name), its operations are not.
public struct TLSEndpoint: Sendable, Hashable {
    /// The server name the client asked for, for example `s3.us-east-1.amazonaws.com`.
    public let host: String
    /// The service's module name in the action table, when the host names one.
    public let service: String?
    /// The region in the host name, when any.
    public let region: String?
    /// How many connections went there.
    public var connections: Int

    /// Creates an endpoint record.
    public init(host: String, service: String?, region: String?, connections: Int) {
        self.host = host
        self.service = service
        self.region = region
        self.connections = connections
    }
}
