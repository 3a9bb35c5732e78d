import Foundation
@testable import IAMScribeCore

/// Builds packets and capture files for the capture tests.
enum PacketBuilder {
    enum Link {
        case ethernet(vlanTags: Int)
        case linuxCooked
        case linuxCookedV2
        case null
        case raw

        var dlt: Int32 {
            switch self {
            case .ethernet: 1
            case .linuxCooked: 113
            case .linuxCookedV2: 276
            case .null: 0
            case .raw: 12
            }
        }
    }

    struct Endpoint {
        var address: [UInt8]
        var port: UInt16

        static let client4 = Endpoint(address: [10, 0, 0, 1], port: 40_000)
        static let server4 = Endpoint(address: [10, 0, 0, 2], port: 80)
        static let client6 = Endpoint(address: [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1], port: 40_000)
        static let server6 = Endpoint(address: [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [2], port: 80)
    }

    static func frame(_ ip: [UInt8], link: Link) -> [UInt8] {
        let isV6 = ip.first.map { $0 >> 4 == 6 } ?? false
        let type: [UInt8] = isV6 ? [0x86, 0xDD] : [0x08, 0x00]
        switch link {
        case .ethernet(let tags):
            var frame: [UInt8] = Array(repeating: 0xAA, count: 6) + Array(repeating: 0xBB, count: 6)
            for tag in 0..<tags { frame += [0x81, 0x00, 0x00, UInt8(tag + 1)] }
            return frame + type + ip
        case .linuxCooked:
            return [0, 0, 0, 1, 0, 6] + Array(repeating: 0, count: 8) + type + ip
        case .linuxCookedV2:
            return type + [0, 0, 0, 0, 0, 1, 0, 1, 0, 6] + Array(repeating: 0, count: 8) + ip
        case .null:
            // Little-endian host order, as a Linux or macOS writer would.
            return (isV6 ? [30, 0, 0, 0] : [2, 0, 0, 0]) + ip
        case .raw:
            return ip
        }
    }

    static func ipv4(_ source: Endpoint, _ destination: Endpoint, proto: UInt8, payload: [UInt8],
                     identification: UInt16 = 1, fragmentOffset: Int = 0, moreFragments: Bool = false) -> [UInt8] {
        let total = 20 + payload.count
        let fragment = UInt16(fragmentOffset / 8) | (moreFragments ? 0x2000 : 0)
        return [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), UInt8(identification >> 8), UInt8(identification & 0xFF),
                UInt8(fragment >> 8), UInt8(fragment & 0xFF), 64, proto, 0, 0] + source.address + destination.address + payload
    }

    static func ipv6(_ source: Endpoint, _ destination: Endpoint, proto: UInt8, payload: [UInt8]) -> [UInt8] {
        [0x60, 0, 0, 0, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF), proto, 64] + source.address + destination.address + payload
    }

    static func tcp(_ source: Endpoint, _ destination: Endpoint, sequence: UInt32, flags: UInt8 = 0x18, payload: [UInt8] = []) -> [UInt8] {
        [UInt8(source.port >> 8), UInt8(source.port & 0xFF), UInt8(destination.port >> 8), UInt8(destination.port & 0xFF)]
            + bigEndian(sequence) + bigEndian(0) + [0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0] + payload
    }

    static func udp(_ source: Endpoint, _ destination: Endpoint, payload: [UInt8]) -> [UInt8] {
        let length = 8 + payload.count
        return [UInt8(source.port >> 8), UInt8(source.port & 0xFF), UInt8(destination.port >> 8), UInt8(destination.port & 0xFF),
                UInt8(length >> 8), UInt8(length & 0xFF), 0, 0] + payload
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    /// A TCP packet between two endpoints, IPv4 or IPv6 after the endpoints' addresses.
    static func tcpPacket(_ source: Endpoint, _ destination: Endpoint, sequence: UInt32, flags: UInt8 = 0x18,
                          payload: [UInt8] = [], link: Link = .ethernet(vlanTags: 0)) -> [UInt8] {
        let segment = tcp(source, destination, sequence: sequence, flags: flags, payload: payload)
        let ip = source.address.count == 16 ? ipv6(source, destination, proto: 6, payload: segment)
            : ipv4(source, destination, proto: 6, payload: segment)
        return frame(ip, link: link)
    }

    /// A whole exchange: handshake, each request and its response in turn, and the close, cut
    /// into segments of at most `segmentSize` bytes.
    static func exchange(
        _ pairs: [(request: String, response: String)], link: Link = .ethernet(vlanTags: 0), segmentSize: Int = 1400,
        client: Endpoint = .client4, server: Endpoint = .server4
    ) -> [[UInt8]] {
        var packets: [[UInt8]] = []
        var clientSequence: UInt32 = 1000, serverSequence: UInt32 = 5000
        packets.append(tcpPacket(client, server, sequence: clientSequence, flags: 0x02, link: link))
        packets.append(tcpPacket(server, client, sequence: serverSequence, flags: 0x12, link: link))
        clientSequence += 1
        serverSequence += 1
        for (request, response) in pairs {
            for (text, from, to, isClient) in [(request, client, server, true), (response, server, client, false)] {
                let bytes = Array(text.utf8)
                var offset = 0
                while offset < bytes.count {
                    let piece = Array(bytes[offset..<min(bytes.count, offset + segmentSize)])
                    let sequence = isClient ? clientSequence : serverSequence
                    packets.append(tcpPacket(from, to, sequence: sequence, payload: piece, link: link))
                    if isClient { clientSequence &+= UInt32(piece.count) } else { serverSequence &+= UInt32(piece.count) }
                    offset += piece.count
                }
            }
        }
        packets.append(tcpPacket(client, server, sequence: clientSequence, flags: 0x11, link: link))
        packets.append(tcpPacket(server, client, sequence: serverSequence, flags: 0x11, link: link))
        return packets
    }

    /// Runs packets through a pipeline and returns the calls and the statistics.
    static func decode(_ packets: [[UInt8]], link: Link = .ethernet(vlanTags: 0), options: CaptureOptions = CaptureOptions())
        throws -> (calls: [ObservedCall], statistics: CaptureStatistics) {
        let pipeline = try PacketPipeline(linkType: link.dlt, options: options)
        for (index, packet) in packets.enumerated() {
            packet.withUnsafeBytes { pipeline.process($0, wireLength: packet.count, time: 1_700_000_000 + Double(index) / 1000) }
        }
        pipeline.finish()
        return (pipeline.takeCalls(), pipeline.statistics)
    }

    /// A classic pcap file holding the packets.
    static func pcapFile(_ packets: [[UInt8]], link: Link = .ethernet(vlanTags: 0)) -> [UInt8] {
        func little32(_ value: UInt32) -> [UInt8] { [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)] }
        var file: [UInt8] = [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0] + little32(0) + little32(0) + little32(262_144) + little32(UInt32(link.dlt))
        for (index, packet) in packets.enumerated() {
            file += little32(1_700_000_000) + little32(UInt32(index)) + little32(UInt32(packet.count)) + little32(UInt32(packet.count)) + packet
        }
        return file
    }

    /// A SigV4-signed request as an SDK would send it (the signature is made up).
    static func signedRequest(_ method: String, _ target: String, service: String, host: String = "127.0.0.1:5000",
                              headers: [String] = [], body: String = "") -> String {
        var lines = ["\(method) \(target) HTTP/1.1", "Host: \(host)",
                     "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/eu-west-1/\(service)/aws4_request, SignedHeaders=host;x-amz-date, Signature=deadbeef",
                     "X-Amz-Security-Token: SESSIONTOKENSECRET", "X-Amz-Date: 20240101T000000Z"]
        lines += headers
        if !body.isEmpty || method == "POST" || method == "PUT" { lines.append("Content-Length: \(body.utf8.count)") }
        return lines.joined(separator: "\r\n") + "\r\n\r\n" + body
    }

    static func response(_ status: Int, headers: [String] = [], body: String = "") -> String {
        (["HTTP/1.1 \(status) X"] + headers + ["Content-Length: \(body.utf8.count)"]).joined(separator: "\r\n") + "\r\n\r\n" + body
    }
}
