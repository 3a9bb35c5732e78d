import Foundation
import IAMScribeCore

/// Cuts a classic pcap capture of plain HTTP/1.1 traffic into ``HTTPExchange``s, on its own: a
/// small reader written for the tests, which shares nothing with the capture's link layer, TCP
/// reassembly or HTTP parser, so that the AWS request stage can be fed the same bytes the capture
/// path decodes and the two results compared.
///
/// It reads what a clean loopback recording holds (Ethernet, IPv4 or IPv6, TCP segments in
/// order, retransmissions skipped; `Content-Length`, chunked or no bodies, `100 Continue`), and
/// stops at anything else.
enum HTTPExchangeExtractor {
    /// A captured packet: its time, as the capture path computes it, and its bytes.
    struct Record {
        let time: Double
        let bytes: [UInt8]
    }

    /// The records of a classic pcap file (microsecond or nanosecond, either byte order).
    static func records(_ file: [UInt8]) -> (linkType: Int32, records: [Record])? {
        guard file.count >= 24 else { return nil }
        let magic = UInt32(file[0]) | UInt32(file[1]) << 8 | UInt32(file[2]) << 16 | UInt32(file[3]) << 24
        let swapped: Bool, nanoseconds: Bool
        switch magic {
        case 0xA1B2_C3D4: (swapped, nanoseconds) = (false, false)
        case 0xD4C3_B2A1: (swapped, nanoseconds) = (true, false)
        case 0xA1B2_3C4D: (swapped, nanoseconds) = (false, true)
        case 0x4D3C_B2A1: (swapped, nanoseconds) = (true, true)
        default: return nil
        }
        func word(_ offset: Int) -> UInt32 {
            let little = UInt32(file[offset]) | UInt32(file[offset + 1]) << 8 | UInt32(file[offset + 2]) << 16 | UInt32(file[offset + 3]) << 24
            return swapped ? little.byteSwapped : little
        }
        var records: [Record] = []
        var offset = 24
        while offset + 16 <= file.count {
            let seconds = Int(Int32(bitPattern: word(offset)))
            let fraction = word(offset + 4)
            let microseconds = nanoseconds ? Int(fraction / 1000) : Int(Int32(bitPattern: fraction))
            let length = Int(word(offset + 8))
            guard offset + 16 + length <= file.count else { break }
            records.append(Record(time: Double(seconds) + Double(microseconds) / 1_000_000,
                                  bytes: Array(file[(offset + 16)..<(offset + 16 + length)])))
            offset += 16 + length
        }
        return (Int32(bitPattern: word(20)), records)
    }

    /// One direction of a TCP connection: its bytes in order, and when each segment came.
    private struct Stream {
        var bytes: [UInt8] = []
        /// Where each segment's bytes start in ``bytes``, with its time.
        var segments: [(start: Int, time: Double)] = []
        var next: UInt32?
        var firstSeen = 0

        /// The time of the segment that holds the byte at `offset`.
        func time(at offset: Int) -> Double {
            segments.last { $0.start <= offset }?.time ?? 0
        }
    }

    /// The HTTP exchanges of Ethernet captures (DLT 1), by connection, in the order each
    /// connection's requests were sent; connections in the order they started.
    static func exchanges(_ records: [Record]) -> [HTTPExchange] {
        var streams: [String: Stream] = [:]
        var order: [String] = []
        for (index, record) in records.enumerated() {
            guard let segment = tcpSegment(record.bytes) else { continue }
            var stream = streams[segment.flow] ?? Stream(firstSeen: index)
            if stream.next == nil { order.append(segment.flow) }
            var sequence = segment.sequence
            if segment.syn {
                stream.next = sequence &+ 1
                sequence &+= 1
            }
            let expected = stream.next ?? sequence
            // In order: new bytes; earlier: a retransmission, skipped.
            if !segment.payload.isEmpty, sequence == expected {
                stream.segments.append((stream.bytes.count, record.time))
                stream.bytes += segment.payload
                stream.next = sequence &+ UInt32(segment.payload.count)
            } else if stream.next == nil {
                stream.next = sequence
            }
            streams[segment.flow] = stream
        }
        var exchanges: [HTTPExchange] = []
        var done = Set<String>()
        for flow in order where !done.contains(flow) {
            let reverse = flow.split(separator: ">").reversed().joined(separator: ">")
            done.insert(flow)
            done.insert(reverse)
            guard let first = streams[flow] else { continue }
            let second = streams[reverse] ?? Stream()
            let (client, server) = startsWithMethod(first.bytes) ? (first, second) : (second, first)
            guard startsWithMethod(client.bytes) else { continue }
            exchanges += pair(client: client, server: server)
        }
        return exchanges
    }

    private static func startsWithMethod(_ bytes: [UInt8]) -> Bool {
        ["GET ", "PUT ", "POST ", "HEAD ", "DELETE ", "PATCH ", "OPTIONS "].contains { bytes.starts(with: Array($0.utf8)) }
    }

    /// A TCP segment of an Ethernet frame: its flow (`source>destination`), sequence, SYN flag
    /// and payload.
    private static func tcpSegment(_ frame: [UInt8]) -> (flow: String, sequence: UInt32, syn: Bool, payload: [UInt8])? {
        guard frame.count >= 14 else { return nil }
        var offset = 12
        var etherType = Int(frame[offset]) << 8 | Int(frame[offset + 1])
        while etherType == 0x8100 || etherType == 0x88A8, frame.count >= offset + 6 {
            offset += 4
            etherType = Int(frame[offset]) << 8 | Int(frame[offset + 1])
        }
        offset += 2
        let source: String, destination: String, payloadEnd: Int
        switch etherType {
        case 0x0800:
            guard frame.count >= offset + 20, frame[offset + 9] == 6 else { return nil }
            let total = Int(frame[offset + 2]) << 8 | Int(frame[offset + 3])
            source = frame[(offset + 12)..<(offset + 16)].map(String.init).joined(separator: ".")
            destination = frame[(offset + 16)..<(offset + 20)].map(String.init).joined(separator: ".")
            payloadEnd = min(frame.count, offset + total)
            offset += Int(frame[offset] & 0x0F) * 4
        case 0x86DD:
            guard frame.count >= offset + 40, frame[offset + 6] == 6 else { return nil }
            let length = Int(frame[offset + 4]) << 8 | Int(frame[offset + 5])
            source = frame[(offset + 8)..<(offset + 24)].map { String($0, radix: 16) }.joined(separator: ":")
            destination = frame[(offset + 24)..<(offset + 40)].map { String($0, radix: 16) }.joined(separator: ":")
            payloadEnd = min(frame.count, offset + 40 + length)
            offset += 40
        default:
            return nil
        }
        guard payloadEnd >= offset + 20 else { return nil }
        let sourcePort = Int(frame[offset]) << 8 | Int(frame[offset + 1])
        let destinationPort = Int(frame[offset + 2]) << 8 | Int(frame[offset + 3])
        let sequence = frame[(offset + 4)..<(offset + 8)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let headerLength = Int(frame[offset + 12] >> 4) * 4
        let syn = frame[offset + 13] & 0x02 != 0
        let payload = offset + headerLength <= payloadEnd ? Array(frame[(offset + headerLength)..<payloadEnd]) : []
        return ("\(source):\(sourcePort)>\(destination):\(destinationPort)", sequence, syn, payload)
    }

    /// A message read from a stream: its head's lines, its body, and where its head ended.
    private struct Message {
        let startLine: String
        let headers: [(name: String, value: String)]
        let body: [UInt8]
        let headEnd: Int

        func value(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name }?.value
        }
    }

    /// Reads the message at `offset`; `hasBody` tells whether a response may have one.
    private static func message(_ bytes: [UInt8], at offset: inout Int, hasBody: (String) -> Bool) -> Message? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard offset + 4 <= bytes.count,
              let end = (offset...(bytes.count - 4)).first(where: { bytes[$0..<($0 + 4)].elementsEqual(separator) })
        else { return nil }
        let lines = String(decoding: bytes[offset..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let headers = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let headEnd = end + 4
        var position = headEnd
        var body: [UInt8] = []
        let startLine = lines.first ?? ""
        let partial = Message(startLine: startLine, headers: headers, body: [], headEnd: headEnd)
        if partial.value("transfer-encoding")?.lowercased().contains("chunked") == true {
            while true {
                guard let lineEnd = crlf(bytes, from: position),
                      let size = Int(String(decoding: bytes[position..<lineEnd], as: UTF8.self).split(separator: ";").first
                          .map { $0.trimmingCharacters(in: .whitespaces) } ?? "", radix: 16) else { return nil }
                position = lineEnd + 2
                if size == 0 {
                    // Trailers, up to the blank line.
                    while let next = crlf(bytes, from: position) {
                        let blank = next == position
                        position = next + 2
                        if blank { break }
                    }
                    break
                }
                body += bytes[position..<min(bytes.count, position + size)]
                position += size + 2
            }
        } else if let length = partial.value("content-length").flatMap({ Int($0) }) {
            body = Array(bytes[position..<min(bytes.count, position + length)])
            position += length
        } else if hasBody(startLine) {
            body = Array(bytes[position...])
            position = bytes.count
        }
        offset = position
        return Message(startLine: startLine, headers: headers, body: body, headEnd: headEnd)
    }

    /// Where the next CRLF starts, from `start` on.
    private static func crlf(_ bytes: [UInt8], from start: Int) -> Int? {
        guard start + 1 < bytes.count else { return nil }
        return (start..<(bytes.count - 1)).first { bytes[$0] == 13 && bytes[$0 + 1] == 10 }
    }

    /// Pairs a connection's requests with its final responses, in order.
    private static func pair(client: Stream, server: Stream) -> [HTTPExchange] {
        var requests: [(message: Message, time: Double)] = []
        var offset = 0
        while let request = message(client.bytes, at: &offset, hasBody: { _ in false }) {
            requests.append((request, client.time(at: request.headEnd - 1)))
        }
        var responses: [Message] = []
        offset = 0
        while responses.count < requests.count {
            let index = responses.count
            let method = requests[index].message.startLine.split(separator: " ").first.map(String.init) ?? ""
            guard let response = message(server.bytes, at: &offset, hasBody: { line in
                let status = Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
                return method != "HEAD" && status != 204 && status != 304 && status >= 200
            }) else { break }
            let status = Int(response.startLine.split(separator: " ").dropFirst().first ?? "") ?? 0
            if status >= 100, status < 200 { continue }
            responses.append(response)
        }
        return requests.enumerated().map { index, request in
            let parts = request.message.startLine.split(separator: " ")
            let response = index < responses.count ? responses[index] : nil
            return HTTPExchange(
                method: parts.first.map(String.init) ?? "", target: parts.count > 1 ? String(parts[1]) : "",
                headers: request.message.headers, body: request.message.body,
                time: Date(timeIntervalSince1970: request.time),
                response: response.map { response in
                    HTTPExchange.Response(status: Int(response.startLine.split(separator: " ").dropFirst().first ?? "") ?? 0,
                                          headers: response.headers, body: response.body)
                })
        }
    }
}
