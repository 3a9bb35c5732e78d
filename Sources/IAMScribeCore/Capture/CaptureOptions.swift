/// How a packet capture is decoded.
public struct CaptureOptions: Sendable, Hashable {
    /// The UDP ports CSM datagrams go to.
    public var csmPorts: Set<UInt16>
    /// The most bytes of one request body kept to read its parameters; a larger body leaves the
    /// call's parameters unknown when they travel in the body.
    public var maximumBodyBytes: Int
    /// The most TCP connections tracked at once; the least recently active goes beyond it.
    public var maximumConnections: Int
    /// The most out-of-order bytes held for one direction of a connection before the missing
    /// bytes are declared lost.
    public var maximumOutOfOrderBytes: Int
    /// Seconds a connection may stay idle before it is closed (and its pending calls emitted).
    public var idleTimeout: Double
    /// How many threads decode a capture file, each taking the traffic of some pairs of hosts;
    /// 0 takes one a processor, up to 4, for files of 8 MB or more. Live captures use one.
    public var threads: Int

    /// Creates options.
    public init(
        csmPorts: Set<UInt16> = [31000], maximumBodyBytes: Int = AWSRequestDecoder.defaultMaximumBodyBytes, maximumConnections: Int = 16_384,
        maximumOutOfOrderBytes: Int = 1 << 20, idleTimeout: Double = 120, threads: Int = 0
    ) {
        self.csmPorts = csmPorts
        self.maximumBodyBytes = maximumBodyBytes
        self.maximumConnections = maximumConnections
        self.maximumOutOfOrderBytes = maximumOutOfOrderBytes
        self.idleTimeout = idleTimeout
        self.threads = threads
    }
}
