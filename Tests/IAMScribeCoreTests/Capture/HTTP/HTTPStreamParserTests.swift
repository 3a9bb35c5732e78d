import Foundation
@testable import IAMScribeCore
import Testing

/// Records what the parser reports.
private final class Recorder: HTTPStreamDelegate {
    var messages: [(head: String, body: String?, complete: Bool)] = []
    var lost: [Bool] = []
    var keep = 1 << 20
    private var head = ""

    func httpHead(_ parser: HTTPStreamParser, _ head: HTTPHead, framing: HTTPStreamParser.Framing) -> HTTPBodyPlan {
        self.head = parser.role == .request
            ? "\(head.methodString) \(String(decoding: head.slice(head.target), as: UTF8.self))"
            : "\(head.status)"
        if let host = head.value(of: .host) { self.head += " @\(String(decoding: host, as: UTF8.self))" }
        return .framed(keep: keep)
    }

    func httpMessageEnd(_ parser: HTTPStreamParser, body: UnsafeRawBufferPointer?, complete: Bool) {
        messages.append((head, body.map { String(decoding: $0, as: UTF8.self) }, complete))
    }

    func httpLostSync(_ parser: HTTPStreamParser, partialHead: Bool) {
        lost.append(partialHead)
    }
}

@Suite("HTTP/1.1 stream parser")
struct HTTPStreamParserTests {
    static let pipelined = """
        POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /b?x=1 HTTP/1.1\r\nhost: other\r\n\r\n\
        PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n\
        DELETE /d HTTP/1.1\r\n\r\n
        """

    private func parse(_ text: String, pieces: Int? = nil, role: HTTPStreamParser.Role = .request) -> Recorder {
        let recorder = Recorder()
        let parser = HTTPStreamParser(role: role, delegate: recorder)
        let bytes = Array(text.utf8)
        let size = pieces ?? bytes.count
        var offset = 0
        while offset < bytes.count {
            let piece = Array(bytes[offset..<min(bytes.count, offset + max(1, size))])
            piece.withUnsafeBytes { parser.receive($0) }
            offset += piece.count
        }
        parser.finish()
        withExtendedLifetime(parser) {}
        return recorder
    }

    @Test("Pipelined requests with Content-Length, none, and chunked bodies, whole and byte by byte",
          arguments: [nil, 1, 2, 3, 7, 64])
    func pipelined(pieceSize: Int?) {
        let recorder = parse(Self.pipelined, pieces: pieceSize)
        #expect(recorder.messages.map(\.head) == ["POST /a @h", "GET /b?x=1 @other", "PUT /c", "DELETE /d"])
        #expect(recorder.messages.map(\.body) == ["hello", "", "abcde", ""])
        #expect(recorder.messages.allSatisfy { $0.complete })
        #expect(recorder.lost.isEmpty)
    }

    @Test("Responses: length, chunked, and a body that runs to the end of the connection")
    func responses() {
        let text = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nfail\r\n0\r\n\r\nHTTP/1.0 404 No\r\n\r\nto the end"
        for size in [1, 5, 1000] {
            let recorder = parse(text, pieces: size, role: .response)
            #expect(recorder.messages.map(\.head) == ["200", "500", "404"])
            #expect(recorder.messages.map(\.body) == ["ok", "fail", "to the end"])
        }
    }

    @Test("A body larger than the delegate keeps is framed but not handed over")
    func bodyBound() {
        let recorder = Recorder()
        recorder.keep = 3
        let parser = HTTPStreamParser(role: .request, delegate: recorder)
        Array("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\n\r\n".utf8).withUnsafeBytes { parser.receive($0) }
        #expect(recorder.messages.map(\.body) == [nil, ""])
    }

    @Test("Every truncation of the stream yields the messages before the cut, and never more")
    func truncated() {
        let bytes = Array(Self.pipelined.utf8)
        let whole = parse(Self.pipelined).messages.count
        for cut in 0..<bytes.count {
            let recorder = parse(String(decoding: bytes[0..<cut], as: UTF8.self), pieces: 1)
            #expect(recorder.messages.filter(\.complete).count <= whole)
            // What came out complete is the same as in the whole stream.
            for (index, message) in recorder.messages.enumerated() where message.complete {
                #expect(message.head == parse(Self.pipelined).messages[index].head)
            }
        }
    }

    @Test("Garbage before and between messages is skipped; the next request line resynchronizes")
    func corrupted() {
        let recorder = parse("\u{1}\u{2}garbage\r\nmore junk\r\nGET /ok HTTP/1.1\r\n\r\nNOT A REQUEST\r\n\r\nPUT /x HTTP/1.1\r\nContent-Length: 1\r\n\r\nz", pieces: 3)
        #expect(recorder.messages.map(\.head) == ["GET /ok", "PUT /x"])
        #expect(recorder.lost.count == 2)
    }

    @Test("Random corruption never traps and keeps framing bounded")
    func fuzz() {
        var generator = SystemRandomNumberGenerator()
        let bytes = Array(Self.pipelined.utf8)
        for _ in 0..<300 {
            var damaged = bytes
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                damaged[Int.random(in: 0..<damaged.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            let recorder = parse(String(decoding: damaged, as: UTF8.self), pieces: Int.random(in: 1...40, using: &generator))
            #expect(recorder.messages.count <= 8)
        }
    }

    @Test("A gap inside a body of known length keeps framing and marks the message incomplete")
    func gapInBody() {
        let recorder = Recorder()
        let parser = HTTPStreamParser(role: .request, delegate: recorder)
        Array("POST /a HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc".utf8).withUnsafeBytes { parser.receive($0) }
        parser.gap(4)
        Array("xyzGET /next HTTP/1.1\r\n\r\n".utf8).withUnsafeBytes { parser.receive($0) }
        #expect(recorder.messages.map(\.head) == ["POST /a", "GET /next"])
        #expect(recorder.messages.map(\.complete) == [false, true])
        #expect(recorder.lost.isEmpty)
    }

    @Test("A gap inside a head loses the message and resynchronizes on the next request line")
    func gapInHead() {
        let recorder = Recorder()
        let parser = HTTPStreamParser(role: .request, delegate: recorder)
        Array("POST /a HTTP/1.1\r\nContent-Le".utf8).withUnsafeBytes { parser.receive($0) }
        parser.gap(20)
        Array("ngth: 3\r\n\r\nabcGET /next HTTP/1.1\r\n\r\n".utf8).withUnsafeBytes { parser.receive($0) }
        Array("GET /last HTTP/1.1\r\n\r\n".utf8).withUnsafeBytes { parser.receive($0) }
        #expect(recorder.messages.map(\.head) == ["GET /last"])
        #expect(recorder.lost == [true])
    }

    @Test("Expect: 100-continue answered with a final status: the body never comes")
    func abandonedBody() {
        let recorder = Recorder()
        let parser = HTTPStreamParser(role: .request, delegate: recorder)
        Array("PUT /a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n".utf8).withUnsafeBytes { parser.receive($0) }
        parser.abandonBodyIfNotStarted()
        Array("GET /b HTTP/1.1\r\n\r\n".utf8).withUnsafeBytes { parser.receive($0) }
        #expect(recorder.messages.map(\.head) == ["PUT /a", "GET /b"])
        #expect(recorder.messages.allSatisfy { $0.complete })
    }
}
