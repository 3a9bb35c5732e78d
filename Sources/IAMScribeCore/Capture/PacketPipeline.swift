#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the stages of a pipeline share: the decoder, the counters and the calls found.
///
/// Its stored properties are `@exclusivity(unchecked)`, for the reason in `Capture/UNSAFE.md`.
final class CaptureContext {
    let options: CaptureOptions
    let decoder: AWSRequestDecoder
    @exclusivity(unchecked) var statistics = CaptureStatistics()
    @exclusivity(unchecked) var calls: [ObservedCall] = []
    @exclusivity(unchecked) var newTLSEndpoints: [TLSEndpoint] = []

    init(options: CaptureOptions, table: ActionTable) {
        self.options = options
        decoder = AWSRequestDecoder(table: table)
    }

    /// Records a TLS connection's server name when it is an AWS endpoint.
    func sawTLS(serverName: String) {
        let host = serverName.lowercased()
        if var known = statistics.tlsEndpoints[host] {
            known.connections += 1
            statistics.tlsEndpoints[host] = known
            return
        }
        guard let name = AWSHostName(host, isEndpointPrefix: { self.decoder.table.service(named: $0) != nil || $0 == "s3" }) else {
            return
        }
        let service = decoder.table.service(named: name.endpointPrefix)?.module
        let endpoint = TLSEndpoint(host: host, service: service, region: name.region, connections: 1)
        statistics.tlsEndpoints[host] = endpoint
        newTLSEndpoints.append(endpoint)
    }
}

/// Decodes captured packets into AWS calls: link layer, IP (with fragment reassembly), UDP CSM
/// datagrams, TCP streams, HTTP/1.1 and TLS ClientHellos.
///
/// Offline reading and live capture both feed it one packet at a time. A malformed packet is
/// counted in ``statistics`` and skipped; nothing in a packet stops the pipeline. Calls come out
/// when their response is seen (or their connection ends): take them with ``takeCalls()``.
/// Not thread-safe: one thread feeds it.
///
/// Its stored properties are `@exclusivity(unchecked)`, for the reason in `Capture/UNSAFE.md`.
public final class PacketPipeline {
    private let link: LinkLayer
    private let context: CaptureContext
    @exclusivity(unchecked) private var connections = ConnectionTable()
    /// The connection of the last segment: consecutive segments mostly belong to one connection,
    /// which is then found without hashing its key. Cleared whenever connections are removed;
    /// unretained, as the table holds every connection until then.
    @exclusivity(unchecked) private var lastConnection: (key: ConnectionKey, connection: Unmanaged<TCPConnection>)?
    @exclusivity(unchecked) private var fragments = IPFragmentReassembler()
    @exclusivity(unchecked) private var assembler = CSMCallAssembler()
    @exclusivity(unchecked) private var lastSweep = 0.0
    @exclusivity(unchecked) private var latest = 0.0

    /// Creates a pipeline for packets of one link-layer type.
    ///
    /// - Parameters:
    ///   - linkType: The libpcap `DLT_` value of the packets.
    ///   - options: How to decode.
    ///   - table: The action table that names services and operations.
    /// - Throws: ``IAMScribeError`` with code `.invalidInput` when the link layer is not supported.
    public init(linkType: Int32, options: CaptureOptions = CaptureOptions(), table: ActionTable = .bundled) throws {
        guard let link = LinkLayer(dlt: linkType) else {
            throw IAMScribeError(.invalidInput, """
                link-layer type \(linkType) is not supported; iamscribe reads Ethernet, Linux cooked (v1, v2), \
                BSD loopback and raw IP captures
                """)
        }
        self.link = link
        context = CaptureContext(options: options, table: table)
    }

    /// What was seen so far.
    public var statistics: CaptureStatistics { context.statistics }

    /// The calls completed since the last call of this method, in the order they completed.
    public func takeCalls() -> [ObservedCall] {
        defer { context.calls.removeAll(keepingCapacity: true) }
        return context.calls
    }

    /// The AWS endpoints first seen through TLS since the last call of this method.
    public func takeNewTLSEndpoints() -> [TLSEndpoint] {
        defer { context.newTLSEndpoints.removeAll() }
        return context.newTLSEndpoints
    }

    /// Takes one captured packet.
    ///
    /// - Parameters:
    ///   - packet: The captured bytes, from the link-layer header on.
    ///   - wireLength: The packet's length on the wire (more than `packet.count` when the capture
    ///     cut it short).
    ///   - time: The capture time, in seconds since 1970.
    public func process(_ packet: UnsafeRawBufferPointer, wireLength: Int, time: Double) {
        context.statistics.packets += 1
        context.statistics.bytes += packet.count
        if wireLength > packet.count { context.statistics.truncated += 1 }
        latest = time
        if time - lastSweep >= 1 {
            lastSweep = time
            sweep(now: time)
        }
        switch link.network(in: packet) {
        case .ip(let offset):
            ip(UnsafeRawBufferPointer(rebasing: packet[offset...]), missing: max(0, wireLength - packet.count), time: time)
        case .other:
            context.statistics.notIP += 1
        case .malformed:
            context.statistics.malformed += 1
        }
    }

    /// Which of `count` shards of a capture decodes a packet, when several pipelines share one.
    ///
    /// The traffic between two hosts goes to one shard whichever way it flows, so every TCP
    /// connection, every fragmented datagram and every client's CSM events are whole in one
    /// shard. Packets that are not IP (or too short to tell) go to shard 0.
    func shard(of packet: UnsafeRawBufferPointer, among count: Int) -> Int {
        guard case .ip(let offset) = link.network(in: packet), offset < packet.count else { return 0 }
        let ip = UnsafeRawBufferPointer(rebasing: packet[offset...])
        let pair: UInt64
        switch ip[0] >> 4 {
        case 4 where ip.count >= 20: pair = UInt64(ip.uint32(at: 12) ^ ip.uint32(at: 16))
        case 6 where ip.count >= 40: pair = ip.uint64(at: 8) ^ ip.uint64(at: 16) ^ ip.uint64(at: 24) ^ ip.uint64(at: 32)
        default: return 0
        }
        return Int(((pair &* 0x9E37_79B9_7F4A_7C15) >> 32) % UInt64(count))
    }

    /// Closes connections idle for longer than the options allow, and flushes CSM attempts whose
    /// call event did not come; a live capture calls it now and then even without packets.
    ///
    /// - Parameter now: The current time, in seconds since 1970.
    public func expire(now: Double) {
        sweep(now: now)
    }

    /// Ends the input: every connection closes and every waiting call comes out.
    public func finish() {
        for (_, connection) in connections.all { connection.close() }
        connections.removeAll()
        lastConnection = nil
        context.calls += assembler.flush()
    }

    // MARK: - IP

    private func ip(_ bytes: UnsafeRawBufferPointer, missing: Int, time: Double) {
        guard let first = bytes.first else {
            context.statistics.malformed += 1
            return
        }
        switch first >> 4 {
        case 4: ipv4(bytes, missing: missing, time: time)
        case 6: ipv6(bytes, missing: missing, time: time)
        default: context.statistics.malformed += 1
        }
    }

    private func ipv4(_ bytes: UnsafeRawBufferPointer, missing: Int, time: Double) {
        guard bytes.count >= 20 else {
            context.statistics.malformed += 1
            return
        }
        let headerLength = Int(bytes[0] & 0x0F) * 4
        let totalLength = Int(bytes.uint16(at: 2))
        guard headerLength >= 20, totalLength >= headerLength, bytes.count >= headerLength else {
            context.statistics.malformed += 1
            return
        }
        // Ethernet pads short frames; the IP length says where the packet ends.
        let end = min(bytes.count, totalLength)
        let cut = max(0, totalLength - bytes.count)
        let source = IPAddress(v4: bytes.uint32(at: 12))
        let destination = IPAddress(v4: bytes.uint32(at: 16))
        let proto = bytes[9]
        let fragment = bytes.uint16(at: 6)
        let moreFragments = fragment & 0x2000 != 0
        let offset = Int(fragment & 0x1FFF) * 8
        let payload = UnsafeRawBufferPointer(rebasing: bytes[headerLength..<end])
        if moreFragments || offset > 0 {
            guard cut == 0 else {
                context.statistics.fragmentsDropped += 1
                return
            }
            let key = IPFragmentReassembler.Key(source: source, destination: destination,
                                                identification: UInt32(bytes.uint16(at: 4)), proto: proto)
            if let whole = fragments.add(key: key, offset: offset, moreFragments: moreFragments, bytes: payload,
                                         time: time, dropped: &context.statistics.fragmentsDropped) {
                whole.withUnsafeBytes { transport(proto, $0, source: source, destination: destination, missing: 0, time: time) }
            }
            return
        }
        transport(proto, payload, source: source, destination: destination, missing: cut, time: time)
    }

    private func ipv6(_ bytes: UnsafeRawBufferPointer, missing: Int, time: Double) {
        guard bytes.count >= 40 else {
            context.statistics.malformed += 1
            return
        }
        let payloadLength = Int(bytes.uint16(at: 4))
        let end = min(bytes.count, 40 + payloadLength)
        let cut = max(0, 40 + payloadLength - bytes.count)
        let source = IPAddress(high: bytes.uint64(at: 8), low: bytes.uint64(at: 16))
        let destination = IPAddress(high: bytes.uint64(at: 24), low: bytes.uint64(at: 32))
        var next = bytes[6]
        var offset = 40
        // Extension headers: hop-by-hop, routing, destination options, authentication, fragment.
        while true {
            switch next {
            case 0, 43, 60, 51:
                guard offset + 8 <= end else {
                    context.statistics.malformed += 1
                    return
                }
                let length = next == 51 ? (Int(bytes[offset + 1]) + 2) * 4 : (Int(bytes[offset + 1]) + 1) * 8
                next = bytes[offset]
                offset += length
            case 44:
                guard offset + 8 <= end, cut == 0 else {
                    context.statistics.malformed += 1
                    return
                }
                let header = bytes.uint16(at: offset + 2)
                let key = IPFragmentReassembler.Key(source: source, destination: destination,
                                                    identification: bytes.uint32(at: offset + 4), proto: bytes[offset])
                let payload = UnsafeRawBufferPointer(rebasing: bytes[(offset + 8)..<end])
                if let whole = fragments.add(key: key, offset: Int(header & 0xFFF8), moreFragments: header & 1 != 0,
                                             bytes: payload, time: time, dropped: &context.statistics.fragmentsDropped) {
                    whole.withUnsafeBytes { transport(key.proto, $0, source: source, destination: destination, missing: 0, time: time) }
                }
                return
            default:
                guard offset <= end else {
                    context.statistics.malformed += 1
                    return
                }
                transport(next, UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), source: source,
                          destination: destination, missing: cut, time: time)
                return
            }
        }
    }

    // MARK: - Transport

    @inline(__always)
    private func transport(_ proto: UInt8, _ bytes: UnsafeRawBufferPointer, source: IPAddress, destination: IPAddress,
                           missing: Int, time: Double) {
        switch proto {
        case 6: tcp(bytes, source: source, destination: destination, missing: missing, time: time)
        case 17: udp(bytes, missing: missing, time: time)
        default: break
        }
    }

    private func udp(_ bytes: UnsafeRawBufferPointer, missing: Int, time: Double) {
        guard bytes.count >= 8 else {
            context.statistics.malformed += 1
            return
        }
        let port = bytes.uint16(at: 2)
        guard context.options.csmPorts.contains(port) else { return }
        let length = Int(bytes.uint16(at: 4))
        guard length >= 8, missing == 0, length <= bytes.count else {
            context.statistics.malformed += 1
            return
        }
        context.statistics.csmDatagrams += 1
        let payload = UnsafeRawBufferPointer(rebasing: bytes[8..<length])
        let received = Date(timeIntervalSince1970: time)
        // A datagram holds one event, or several separated by newlines.
        CSMLines.forEach(in: payload) { line, _ in
            switch CSMEventParser.parse(line) {
            case .success(let event): context.calls += assembler.add(event, receivedAt: received)
            case .failure: context.statistics.csmRejected += 1
            }
        }
    }

    private func tcp(_ bytes: UnsafeRawBufferPointer, source: IPAddress, destination: IPAddress, missing: Int, time: Double) {
        guard bytes.count >= 20 else {
            context.statistics.malformed += 1
            return
        }
        let headerLength = Int(bytes[12] >> 4) * 4
        guard headerLength >= 20, headerLength <= bytes.count else {
            context.statistics.malformed += 1
            return
        }
        let sourcePort = bytes.uint16(at: 0), destinationPort = bytes.uint16(at: 2)
        let sequence = bytes.uint32(at: 4)
        let flags = bytes[13]
        let fromFirst = (source, sourcePort) < (destination, destinationPort)
        let key = fromFirst
            ? ConnectionKey(first: source, second: destination, firstPort: sourcePort, secondPort: destinationPort)
            : ConnectionKey(first: destination, second: source, firstPort: destinationPort, secondPort: sourcePort)
        let payload = UnsafeRawBufferPointer(rebasing: bytes[headerLength...])
        let connection: Unmanaged<TCPConnection>
        if let last = lastConnection, last.key == key {
            connection = last.connection
        } else if let known = connections[key] {
            connection = .passUnretained(known)
            lastConnection = (key, connection)
        } else {
            // Only a SYN or data starts tracking a connection: a bare ACK, FIN or RST of one not
            // tracked (the last ACK after both FINs, a capture that starts mid-stream) carries
            // nothing to read, and would otherwise sit in the table until it is idle long enough.
            guard flags & 0x02 != 0 || payload.count + missing > 0 else { return }
            if connections.count >= context.options.maximumConnections { evictOldest() }
            let created = TCPConnection(context: context, time: time)
            connections[key] = created
            connection = .passUnretained(created)
            lastConnection = (key, connection)
            context.statistics.tcpConnections += 1
        }
        // The table holds the connection through the segment: it leaves the table only below.
        let ended = connection._withUnsafeGuaranteedRef {
            $0.segment(fromFirst: fromFirst, sequence: sequence, flags: flags, payload: payload, missing: missing, time: time)
        }
        if ended {
            connections[key] = nil
            lastConnection = nil
        }
    }

    private func evictOldest() {
        lastConnection = nil
        let oldest = connections.all.sorted { $0.connection.lastActivity < $1.connection.lastActivity }.prefix(max(1, connections.count / 8))
        for (key, connection) in oldest {
            connection.close()
            connections[key] = nil
        }
    }

    private func sweep(now: Double) {
        let limit = now - context.options.idleTimeout
        // Looked through every second of capture time: the idle ones are few, and only they are
        // taken out of the table.
        let idle = connections.keys { $0.lastActivity < limit }
        if !idle.isEmpty { lastConnection = nil }
        for key in idle {
            connections[key]?.close()
            connections[key] = nil
        }
        fragments.expire(now: now, dropped: &context.statistics.fragmentsDropped)
        context.calls += assembler.flush(now: Date(timeIntervalSince1970: now))
    }
}
