import FuzzSupport
import IAMScribeCore

/// The `DLT_` values ``PacketPipeline`` decodes, one of each kind of link layer.
private let linkTypes: [Int32] = [1, 113, 276, 0, 108, 101]

/// Options that make the bounds bite on small inputs: few connections, little out-of-order data,
/// small bodies, short idle times; CSM on the usual port and on 80.
private let options = CaptureOptions(csmPorts: [31000, 80], maximumBodyBytes: 2048, maximumConnections: 4,
                                     maximumOutOfOrderBytes: 4096, idleTimeout: 5, threads: 1)

/// Packets through ``PacketPipeline``: link layers, IPv4 and IPv6 with fragments, UDP CSM
/// datagrams, TCP reassembly and the HTTP and AWS stages behind it, TLS ClientHellos.
///
/// Input: a control byte (bits 0-6: the link type, `linkTypes[n % 6]`; bit 7: the rest is one
/// packet), then, unless the rest is one packet, records of a byte (bits 0-6: tenths of a second
/// since the previous packet; bit 7: the packet was cut short of its wire length) and a big-endian
/// 16-bit length, followed by the packet. One pipeline an input: making one costs more than
/// decoding a few packets.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let control = input.byte()
    let link = linkTypes[Int(control & 0x7F) % linkTypes.count]
    guard let pipeline = try? PacketPipeline(linkType: link, options: options) else { fatalError("link type \(link)") }
    var time = 1_700_000_000.0
    if control & 0x80 != 0 {
        pipeline.process(input.rest, wireLength: input.rest.count, time: time)
        pipeline.finish()
        check(pipeline)
        return 0
    }
    while !input.isEmpty {
        let flags = input.byte()
        let length = input.uint16()
        let packet = input.bytes(length)
        time += Double(flags & 0x7F) / 10
        pipeline.process(packet, wireLength: packet.count + (flags & 0x80 != 0 ? 100 : 0), time: time)
        _ = pipeline.takeCalls()
    }
    pipeline.expire(now: time + 1)
    pipeline.finish()
    check(pipeline)
    return 0
}

private func check(_ pipeline: PacketPipeline) {
    let statistics = pipeline.statistics
    for call in pipeline.takeCalls() {
        require(!call.service.isEmpty, "a call without a service")
        require(call.source != .pcap || !call.operation.isEmpty, "a captured call without an operation")
    }
    _ = pipeline.takeNewTLSEndpoints()
    require(statistics.malformed + statistics.notIP <= statistics.packets, "more malformed packets than packets")
}
