@testable import IAMScribeProxy
import NIOCore
import Testing
import TestSupport

/// The framing that lets the proxy forward HTTP/1.1 bytes as they came: every byte lands in
/// exactly one event, in order, however the bytes are split; what could be read two ways is
/// refused.
@Suite struct HTTP1FramerTests {
    /// What a run of the framer over some bytes gave.
    struct Run {
        var heads: [HTTP1Framer.Head] = []
        /// Each message's body content (chunk framing left out).
        var bodies: [[UInt8]] = []
        /// Every event's bytes joined: the stream as forwarded.
        var forwarded: [UInt8] = []
        var ends = 0
        var error: HTTP1Framer.Malformed?
    }

    /// Frames `bytes` fed in pieces of `piece` bytes (all at once when 0), then ends the stream
    /// when `close`.
    static func frame(_ bytes: [UInt8], role: HTTP1Framer.Role, piece: Int = 0, close: Bool = false,
                      answersHEAD: Bool = false) -> Run {
        var framer = HTTP1Framer(role: role)
        var run = Run()
        func take(_ event: HTTP1Framer.Event) {
            switch event {
            case .head(let head):
                run.heads.append(head)
                run.bodies.append([])
                run.forwarded += head.bytes.readableBytesView
            case .body(let bytes):
                run.bodies[run.bodies.count - 1] += bytes.readableBytesView
                run.forwarded += bytes.readableBytesView
            case .framing(let bytes):
                run.forwarded += bytes.readableBytesView
            case .end:
                run.ends += 1
            }
        }
        let size = piece == 0 ? max(1, bytes.count) : piece
        var offset = 0
        do {
            while offset < bytes.count {
                var buffer = ByteBuffer(bytes: bytes[offset..<min(bytes.count, offset + size)])
                offset += size
                while true {
                    if framer.betweenMessages { framer.nextAnswersHEAD = answersHEAD }
                    let source = buffer, before = buffer.readerIndex
                    guard let event = try framer.next(&buffer) else { break }
                    if framer.lastEventContiguous {
                        // The event's bytes are the ones taken, in place: a relay may forward that slice.
                        let taken = source.getSlice(at: before, length: buffer.readerIndex - before).map { Array($0.readableBytesView) }
                        let bytes: [UInt8]
                        switch event {
                        case .head(let head): bytes = Array(head.bytes.readableBytesView)
                        case .body(let slice), .framing(let slice): bytes = Array(slice.readableBytesView)
                        case .end: bytes = []
                        }
                        #expect(taken == bytes, "a contiguous event's bytes differ from those taken")
                    }
                    take(event)
                }
                #expect(buffer.readableBytes == 0, "bytes left unframed")
            }
            if close, let event = try framer.finish() { take(event) }
        } catch let error as HTTP1Framer.Malformed {
            run.error = error
        } catch {
            Issue.record("unexpected \(error)")
        }
        return run
    }

    static let pipelined = Array((
        "\r\n" +
        "PUT /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello" +
        "POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: t\r\n\r\n" +
        "GET /c HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nworld" +
        "DELETE /d HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
    ).utf8)

    @Test func pipelinedRequestsFrameTheSameHoweverTheBytesAreSplit() {
        for piece in [0, 1, 2, 3, 5, 7, 13, 64] {
            let run = Self.frame(Self.pipelined, role: .request, piece: piece)
            #expect(run.error == nil, "piece \(piece): \(String(describing: run.error))")
            #expect(run.forwarded == Self.pipelined, "piece \(piece): every byte forwarded once, in order")
            #expect(run.heads.map(\.method) == ["PUT", "POST", "GET", "DELETE"], "piece \(piece)")
            #expect(run.bodies.map { String(decoding: $0, as: UTF8.self) } == ["hello", "abc0123456789abcdef", "world", ""], "piece \(piece)")
            #expect(run.ends == 4, "piece \(piece)")
            #expect(run.heads.map(\.framing) == [.length(5), .chunked, .length(5), .none], "piece \(piece)")
            #expect(run.heads.map(\.keepAlive) == [true, true, true, false], "piece \(piece)")
        }
    }

    @Test func responsesAreFramedAsTheirStatusAndRequestSay() {
        let interim = Self.frame(Array("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8), role: .response)
        #expect(interim.heads.map(\.status) == [100, 200])
        #expect(interim.heads.map(\.isInterim) == [true, false])
        #expect(interim.ends == 2)
        let head = Self.frame(Array("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n".utf8), role: .response, answersHEAD: true)
        #expect(head.heads.first?.framing == HTTP1Framer.Framing.none)
        #expect(head.ends == 1)
        for status in ["204 No Content", "304 Not Modified"] {
            let run = Self.frame(Array("HTTP/1.1 \(status)\r\nContent-Length: 9\r\n\r\n".utf8), role: .response)
            #expect(run.heads.first?.framing == HTTP1Framer.Framing.none, "\(status)")
            #expect(run.ends == 1)
        }
        let untilClose = Self.frame(Array("HTTP/1.0 200 OK\r\n\r\nall of it".utf8), role: .response, piece: 4, close: true)
        #expect(untilClose.heads.first?.framing == .untilClose)
        #expect(untilClose.heads.first?.keepAlive == false)
        #expect(untilClose.bodies == [Array("all of it".utf8)])
        #expect(untilClose.ends == 1)
        // Transfer-Encoding wins over Content-Length in a response (RFC 9112, 6.3).
        let both = Self.frame(Array("HTTP/1.1 400 Bad\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\nx-amzn-ErrorType: Throttling:http\r\n\r\n2\r\nno\r\n0\r\n\r\n".utf8), role: .response)
        #expect(both.heads.first?.framing == .chunked)
        #expect(both.bodies == [Array("no".utf8)])
        #expect(both.heads.first?.errorType == "Throttling:http")
        let close = Self.frame(Array("HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n".utf8), role: .response)
        #expect(close.heads.first?.keepAlive == false)
    }

    @Test func aMessageCutShortIsAnErrorWhenTheConnectionCloses() {
        let cut = Self.frame(Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf".utf8), role: .response, close: true)
        #expect(cut.error?.reason == "the connection closed in the middle of a message")
        let clean = Self.frame(Array("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfull".utf8), role: .response, close: true)
        #expect(clean.error == nil)
        #expect(clean.ends == 1)
    }

    /// Each of these could be framed two ways (or not at all): refused, with the reason.
    @Test(arguments: [
        ("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "both Content-Length and Transfer-Encoding"),
        ("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", "two different Content-Length values"),
        ("POST / HTTP/1.1\r\nContent-Length: 3x\r\n\r\n", "a Content-Length that is not a number"),
        ("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "a Content-Length that is not a number"),
        ("POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n", "a Content-Length that is not a number"),
        ("GET / HTTP/1.1\r\nNo colon here\r\n\r\n", "a header line without a colon"),
        ("GET / HTTP/1.1\r\nHost : h\r\n\r\n", "a malformed header field name"),
        ("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", "a folded header line"),
        ("GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", "a LF without CR in a head"),
        ("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", "a malformed header field name"),
        ("GET / HTTP/1.1\r\nX: a\u{1}b\r\n\r\n", "a malformed header field name"),
        ("GET /\r\n\r\n", "a malformed request line"),
        ("GET / HTTP/2.0\r\n\r\n", "a request line without HTTP/1.0 or HTTP/1.1"),
        ("GET  / HTTP/1.1\r\n\r\n", "a malformed request line"),
        ("G(T / HTTP/1.1\r\n\r\n", "a malformed request line"),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "a Transfer-Encoding whose last coding is not chunked"),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", "Transfer-Encoding in an HTTP/1.0 request"),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "a chunk without a size"),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n", "a chunk end line too long"),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3 x\r\n", "a malformed chunk size"),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000\r\n", "a chunk size too large"),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n", "a malformed trailer field"),
    ])
    func ambiguousOrMalformedRequestsAreRefused(request: String, reason: String) {
        for piece in [0, 1] {
            let run = Self.frame(Array(request.utf8), role: .request, piece: piece)
            #expect(run.error?.reason == reason, "\(request.debugDescription) in pieces of \(piece)")
        }
    }

    @Test func aHeadLargerThanTheLimitIsRefusedBeforeItEnds() {
        let huge = Array(("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: HTTP1Framer.maximumHeadBytes)).utf8)
        for piece in [0, 4096] {
            let run = Self.frame(huge, role: .request, piece: piece)
            #expect(run.error?.reason == "a head larger than 64 KiB", "pieces of \(piece)")
        }
    }

    @Test func proxyFieldsAndAnAbsoluteTargetAreRewrittenAndNothingElse() throws {
        let request = "GET https://q.sqs.us-east-1.amazonaws.com/path?x=1 HTTP/1.1\r\nHost: q\r\nProxy-Connection: keep-alive\r\n" +
            "X-Custom:  two  spaces\r\nProxy-Authorization: Basic c2VjcmV0\r\nUser-Agent: t\r\n\r\n"
        let run = Self.frame(Array(request.utf8), role: .request)
        let head = try #require(run.heads.first)
        #expect(head.absoluteTarget)
        #expect(head.proxyFieldLines.count == 2)
        let rewritten = HTTP1Relay.rewritten(head, allocator: ByteBufferAllocator())
        #expect(String(buffer: rewritten) == "GET /path?x=1 HTTP/1.1\r\nHost: q\r\nX-Custom:  two  spaces\r\nUser-Agent: t\r\n\r\n")
        let plain = Self.frame(Array("GET /p HTTP/1.1\r\nHost: q\r\n\r\n".utf8), role: .request)
        #expect(plain.heads.first?.absoluteTarget == false)
        #expect(plain.heads.first?.proxyFieldLines.isEmpty == true)
    }

    /// Random splits and random damage to valid messages: the framer never traps, never takes a
    /// byte twice or leaves one out of what it accepted, and refuses or waits on the rest.
    @Test func randomSplitsAndDamageNeverBreakTheFramer() {
        var generator = SplitMix(state: 0x1A35_C41B)
        let samples = [Self.pipelined,
                       Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n".utf8)]
        for round in 0..<2000 {
            let sample = samples[round % 2]
            var bytes = sample
            let damaged = round % 3 != 0
            if damaged {
                for _ in 0...Int(generator.next() % 3) {
                    let index = Int(generator.next() % UInt64(bytes.count))
                    bytes[index] = UInt8(truncatingIfNeeded: generator.next())
                }
            }
            let piece = Int(generator.next() % 17)
            let run = Self.frame(bytes, role: round % 2 == 0 ? .request : .response, piece: piece)
            if !damaged { #expect(run.error == nil && run.forwarded == bytes, "round \(round)") }
            // Whatever was accepted was forwarded once, in order: a prefix of the input.
            #expect(Array(bytes.prefix(run.forwarded.count)) == run.forwarded, "round \(round)")
        }
    }
}
