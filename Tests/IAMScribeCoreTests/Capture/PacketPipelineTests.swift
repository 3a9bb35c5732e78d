import Foundation
@testable import IAMScribeCore
import Testing

@Suite("Packet pipeline: link layers, IP, TCP, HTTP and AWS decoding")
struct PacketPipelineTests {
    typealias B = PacketBuilder

    static let getItem = (
        request: B.signedRequest("POST", "/", service: "dynamodb", headers: ["X-Amz-Target: DynamoDB_20120810.GetItem"],
                                 body: #"{"TableName":"orders","Key":{"id":{"S":"1"}}}"#),
        response: B.response(200, body: "{}"))
    static let putObject = (
        request: B.signedRequest("PUT", "/my-bucket/path/to%20file.txt", service: "s3", headers: ["x-amz-tagging: a=b"], body: "data"),
        response: B.response(200))
    static let missingTable = (
        request: B.signedRequest("POST", "/", service: "dynamodb", headers: ["X-Amz-Target: DynamoDB_20120810.DescribeTable"],
                                 body: #"{"TableName":"gone"}"#),
        response: B.response(400, headers: ["x-amzn-ErrorType: ResourceNotFoundException:http://internal"], body: "{}"))

    @Test("Every link layer gives the same calls", arguments: [
        B.Link.ethernet(vlanTags: 0), .ethernet(vlanTags: 2), .linuxCooked, .linuxCookedV2, .null, .raw,
    ])
    func linkLayers(link: B.Link) throws {
        let packets = B.exchange([Self.getItem, Self.putObject], link: link)
        let (calls, statistics) = try B.decode(packets, link: link)
        #expect(calls.map(\.operation) == ["GetItem", "PutObject"])
        #expect(calls.map(\.service) == ["dynamodb", "s3"])
        #expect(statistics.malformed == 0)
        #expect(statistics.httpRequests == 2)
    }

    @Test("Segments that carry nothing start no connection: the last ACK of a closed one, a stray RST")
    func strayAcknowledgments() throws {
        var packets = B.exchange([Self.getItem])
        let closing = packets.count
        // The client's last ACK after both FINs, a stray RST, and an ACK for a connection never seen.
        packets.append(B.tcpPacket(.client4, .server4, sequence: 9_000, flags: 0x10))
        packets.append(B.tcpPacket(.server4, .client4, sequence: 9_001, flags: 0x04))
        packets.append(B.tcpPacket(B.Endpoint(address: [10, 9, 9, 9], port: 40_001), .server4, sequence: 1, flags: 0x10))
        let result = try B.decode(packets)
        #expect(packets.count == closing + 3)
        #expect(result.statistics.tcpConnections == 1)
        #expect(result.calls.map(\.operation) == ["GetItem"])
        // A segment with data, or a SYN, still starts one.
        let midStream = try B.decode(Array(B.exchange([Self.getItem]).dropFirst(2)))
        #expect(midStream.statistics.tcpConnections == 1)
        #expect(midStream.calls.map(\.operation) == ["GetItem"])
    }

    @Test("IPv6")
    func ipv6() throws {
        let packets = B.exchange([Self.getItem], client: .client6, server: .server6)
        let (calls, _) = try B.decode(packets)
        #expect(calls.map(\.operation) == ["GetItem"])
        #expect(calls.first?.httpStatus == 200)
    }

    @Test("What a call keeps: service, operation, region, key id, status, resource parameters; never secrets")
    func callContent() throws {
        let (calls, _) = try B.decode(B.exchange([Self.getItem, Self.putObject, Self.missingTable]))
        let getItem = try #require(calls.first)
        #expect(getItem.source == .pcap)
        #expect(getItem.region == "eu-west-1")
        #expect(getItem.accessKeyID?.value == "AKIAIOSFODNN7EXAMPLE")
        #expect(getItem.endpoint == "127.0.0.1:5000")
        #expect(getItem.parameters == ["TableName": "orders"])
        #expect(getItem.httpStatus == 200)
        let put = calls[1]
        #expect(put.parameters == ["Bucket": "my-bucket", "Key": "path/to file.txt", "Tagging": ""])
        let failed = calls[2]
        #expect(failed.httpStatus == 400)
        #expect(failed.errorCode == "ResourceNotFoundException")
        let encoded = String(decoding: try JSONEncoder().encode(calls), as: UTF8.self)
        for secret in ["deadbeef", "SESSIONTOKENSECRET", "Signature", "data"] { #expect(!encoded.contains(secret)) }
    }

    @Test("Segments out of order, duplicated and retransmitted decode the same")
    func disorder() throws {
        var packets = B.exchange([Self.getItem, Self.putObject, Self.missingTable], segmentSize: 7)
        let handshake = Array(packets.prefix(2)), closing = Array(packets.suffix(2))
        var data = Array(packets.dropFirst(2).dropLast(2))
        var generator = SeededGenerator(seed: 42)
        // Swap neighbours, duplicate some packets: what networks and captures do.
        for index in stride(from: 0, to: data.count - 1, by: 3) { data.swapAt(index, index + 1) }
        for index in stride(from: data.count - 1, through: 0, by: -5) { data.insert(data[index], at: index) }
        data.shuffle(using: &generator)
        // A FIN may overtake the last data: the connection ends where the FIN says.
        packets = handshake + Array(data.prefix(10)) + closing + Array(data.dropFirst(10))
        let (calls, statistics) = try B.decode(packets)
        #expect(calls.map(\.operation).sorted() == ["DescribeTable", "GetItem", "PutObject"])
        #expect(statistics.skippedMissingData == 0)
    }

    @Test("A missing segment skips (and counts) the request it belonged to; the others still decode")
    func missingSegment() throws {
        var packets = B.exchange([Self.getItem, Self.putObject, Self.missingTable], segmentSize: 40)
        // Drop a piece of the second request (its head).
        let putStart = packets.firstIndex { String(decoding: $0, as: UTF8.self).contains("PUT /my-bucket") }
        packets.remove(at: try #require(putStart) + 1)
        let (calls, statistics) = try B.decode(packets)
        #expect(calls.map(\.operation).contains("GetItem"))
        #expect(!calls.map(\.operation).contains("PutObject"))
        #expect(statistics.skippedMissingData == 1)
    }

    @Test("Malformed packets are counted and never stop the decoder")
    func malformed() throws {
        var packets = B.exchange([Self.getItem])
        packets.insert([0x01], at: 1)
        packets.insert(Array(repeating: 0xFF, count: 14) + [0x45, 0, 0, 10], at: 2)
        packets.insert(B.frame([0x45, 0x00, 0x00, 0x30] + Array(repeating: 0, count: 8), link: .ethernet(vlanTags: 0)), at: 3)
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<200 {
            var junk = packets[Int.random(in: 0..<packets.count, using: &generator)]
            for _ in 0..<3 where !junk.isEmpty { junk[Int.random(in: 0..<junk.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            junk = Array(junk.prefix(Int.random(in: 0...junk.count, using: &generator)))
            // Random junk on its own flow, so it cannot corrupt the real one.
            if junk.count > 30 { junk[26] = 99 }
            packets.insert(junk, at: packets.count - 2)
        }
        let (calls, statistics) = try B.decode(packets)
        #expect(calls.map(\.operation) == ["GetItem"])
        #expect(statistics.malformed >= 3)
    }

    @Test("CSM datagrams, also fragmented over IPv4, become calls")
    func csm() throws {
        let events = """
            {"Version":1,"ClientId":"","Type":"ApiCallAttempt","Service":"S3","Api":"GetObject","Timestamp":1700000000000,"AccessKey":"AKIAEXAMPLE","Region":"us-east-1","HttpStatusCode":404,"Fqdn":"s3.amazonaws.com"}
            {"Version":1,"ClientId":"","Type":"ApiCall","Service":"S3","Api":"GetObject","Timestamp":1700000000001,"AttemptCount":1,"Region":"us-east-1","FinalHttpStatusCode":404,"Padding":"\(String(repeating: "x", count: 3000))"}
            """
        let datagram = B.udp(.client4, B.Endpoint(address: [10, 0, 0, 2], port: 31_000), payload: Array(events.utf8))
        // Three fragments, sent last first.
        let pieces = [(0, 1480), (1480, 2960), (2960, datagram.count)]
        var packets = pieces.map { start, end in
            B.frame(B.ipv4(.client4, .server4, proto: 17, payload: Array(datagram[start..<end]), identification: 77,
                           fragmentOffset: start, moreFragments: end < datagram.count), link: .raw)
        }
        packets.reverse()
        let (calls, statistics) = try B.decode(packets, link: .raw)
        #expect(calls.count == 1)
        #expect(calls.first?.source == .csm)
        #expect(calls.first?.operation == "GetObject")
        #expect(calls.first?.httpStatus == 404)
        #expect(statistics.csmDatagrams == 1)
        // Another port carries no CSM unless asked.
        let other = try B.decode(packets, link: .raw, options: CaptureOptions(csmPorts: [31_001]))
        #expect(other.calls.isEmpty)
    }

    @Test("A fragment that never completes is dropped and counted")
    func lostFragment() throws {
        let payload = B.udp(.client4, B.Endpoint(address: [10, 0, 0, 2], port: 31_000), payload: Array(repeating: 0x20, count: 2000))
        let first = B.frame(B.ipv4(.client4, .server4, proto: 17, payload: Array(payload[0..<1480]), identification: 5,
                                   moreFragments: true), link: .raw)
        let (calls, statistics) = try B.decode([first], link: .raw)
        #expect(calls.isEmpty)
        #expect(statistics.fragmentsDropped == 0)  // still waiting at the end: nothing said it was lost yet
        let overlapping = B.frame(B.ipv4(.client4, .server4, proto: 17, payload: Array(payload[8..<1488]), identification: 5,
                                         fragmentOffset: 8, moreFragments: true), link: .raw)
        #expect(try B.decode([first, overlapping], link: .raw).statistics.fragmentsDropped == 1)
    }

    @Test("A TLS ClientHello names the AWS endpoint; the connection is reported, not decoded")
    func tls() throws {
        let hello = Self.clientHello(serverName: "dynamodb.eu-central-1.amazonaws.com")
        let packets = [
            B.tcpPacket(.client4, B.Endpoint(address: [10, 0, 0, 2], port: 443), sequence: 1, flags: 0x02),
            B.tcpPacket(.client4, B.Endpoint(address: [10, 0, 0, 2], port: 443), sequence: 2, payload: Array(hello[0..<100])),
            B.tcpPacket(.client4, B.Endpoint(address: [10, 0, 0, 2], port: 443), sequence: 102, payload: Array(hello[100...])),
        ]
        let (calls, statistics) = try B.decode(packets)
        #expect(calls.isEmpty)
        #expect(statistics.tlsConnections == 1)
        let endpoint = try #require(statistics.tlsEndpoints["dynamodb.eu-central-1.amazonaws.com"])
        #expect(endpoint.service == "dynamodb")
        #expect(endpoint.region == "eu-central-1")
        // Every truncation of the hello is safe.
        for cut in 0..<hello.count {
            _ = hello.prefix(cut).withUnsafeBytes { TLSClientHello.parse($0) }
        }
    }

    @Test("Pipelined requests pair with their responses in order; HEAD responses have no body")
    func pairing() throws {
        let head = (request: B.signedRequest("HEAD", "/b/k", service: "s3"), response: "HTTP/1.1 404 Not Found\r\nContent-Length: 120\r\n\r\n")
        let list = (request: B.signedRequest("GET", "/b?list-type=2&prefix=a", service: "s3"), response: B.response(200, body: "<x/>"))
        // All requests first, then all responses: pipelining.
        let requests = head.request + list.request + Self.getItem.request
        let responses = head.response + list.response + Self.getItem.response
        let (calls, _) = try B.decode(B.exchange([(requests, responses)], segmentSize: 50))
        #expect(calls.map(\.operation) == ["HeadObject", "ListObjectsV2", "GetItem"])
        #expect(calls.map(\.httpStatus) == [404, 200, 200])
    }

    @Test("Expect: 100-continue with the body after the interim response")
    func expectContinue() throws {
        let request = B.signedRequest("PUT", "/b/k", service: "s3", headers: ["Expect: 100-continue"], body: "")
            .replacingOccurrences(of: "Content-Length: 0", with: "Content-Length: 4")
        let packets: [[UInt8]] = [
            B.tcpPacket(.client4, .server4, sequence: 1, payload: Array(request.utf8)),
            B.tcpPacket(.server4, .client4, sequence: 1, payload: Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)),
            B.tcpPacket(.client4, .server4, sequence: 1 + UInt32(request.utf8.count), payload: Array("data".utf8)),
            B.tcpPacket(.server4, .client4, sequence: 26, payload: Array(B.response(403, body: "<Error><Code>AccessDenied</Code></Error>").utf8)),
        ]
        let (calls, _) = try B.decode(packets)
        #expect(calls.map(\.operation) == ["PutObject"])
        #expect(calls.first?.httpStatus == 403)
        #expect(calls.first?.errorCode == "AccessDenied")
    }

    static func clientHello(serverName: String) -> [UInt8] {
        let name = Array(serverName.utf8)
        let sni: [UInt8] = [0, 0] + u16(name.count + 5) + u16(name.count + 3) + [0] + u16(name.count) + name
        let extensions: [UInt8] = [0xFF, 0x01, 0, 1, 0] + sni
        var body: [UInt8] = [3, 3] + Array(repeating: 7, count: 32) + [0] + u16(2) + [0x13, 0x01] + [1, 0]
        body += u16(extensions.count) + extensions
        let handshake: [UInt8] = [1, 0] + u16(body.count) + body
        return [0x16, 3, 1] + u16(handshake.count) + handshake
    }

    static func u16(_ value: Int) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
}

/// A small deterministic generator, so a failing shuffle can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}
