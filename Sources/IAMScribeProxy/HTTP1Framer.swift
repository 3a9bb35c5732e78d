import Glibc
import NIOCore

/// Finds the messages of one direction of an HTTP/1.1 connection in its bytes as they come, so
/// that a relay can forward the bytes as they are rather than decode and encode each message.
///
/// Each call to ``next(_:)`` takes bytes from the front of a buffer and says what they were: a
/// message's head (checked strictly: a relay that forwards bytes must frame them as the next hop
/// will, so whatever could be read two ways is refused: `Content-Length` with
/// `Transfer-Encoding`, two lengths, a field name with space before its colon, a folded line,
/// a bare CR or LF, a control character), its body's bytes, the chunked framing around them, or
/// its end. Every byte taken belongs to exactly one event, in order: forwarding each event's bytes
/// forwards the stream unchanged.
struct HTTP1Framer {
    /// Which kind of message the bytes carry.
    enum Role { case request, response }

    /// How a message's body is framed.
    enum Framing: Equatable {
        /// No body (a request without length; a response to `HEAD`; a 1xx, 204 or 304).
        case none
        case length(Int)
        case chunked
        /// To the end of the connection (a response without length).
        case untilClose
    }

    /// A message head, with what a relay needs of it.
    struct Head {
        /// The head as it came: the start line and the header lines, through the blank line.
        var bytes: ByteBuffer
        /// Request: the method (`GET`...); empty for a response.
        var method: String = ""
        /// Request: where the target lies in ``bytes`` (from its reader index).
        var target: Range<Int> = 0..<0
        /// Response: the status code; 0 for a request.
        var status = 0
        /// The minor version (`HTTP/1.0` or `HTTP/1.1`).
        var minorVersion = 1
        var framing: Framing = .none
        /// Whether the connection stays open after this message, as its version and
        /// `Connection` field say.
        var keepAlive = true
        /// Request: whether it asks to switch protocols (`Connection: upgrade`).
        var upgrade = false
        /// Where each `Proxy-*` field's whole line lies in ``bytes``: they concern only the hop
        /// to the proxy and are not forwarded.
        var proxyFieldLines: [Range<Int>] = []
        /// Response: the value of `x-amzn-ErrorType`, which names a failed call's error.
        var errorType: String?

        /// Whether the target is in absolute form (`https://host/path`) rather than origin form.
        var absoluteTarget: Bool {
            guard let first = bytes.getInteger(at: bytes.readerIndex + target.lowerBound, as: UInt8.self) else { return false }
            return first != UInt8(ascii: "/") && first != UInt8(ascii: "*")
        }

        /// Whether it is an interim response (1xx other than 101): the final one follows.
        var isInterim: Bool { (100..<200).contains(status) && status != 101 }
    }

    /// What the bytes taken were.
    enum Event {
        case head(Head)
        /// Bytes of the body's content.
        case body(ByteBuffer)
        /// Bytes around the content: chunk sizes and their line ends, the trailer, and empty lines
        /// before a request.
        case framing(ByteBuffer)
        /// The message ended (no bytes).
        case end
    }

    /// Why bytes could not be framed; nothing after them can be.
    struct Malformed: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }

    private enum State {
        case head
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailer
        case untilClose
        /// The message has ended; ``next(_:)`` reports `.end` once.
        case ended
        case failed
    }

    let role: Role
    /// The largest head read (and the largest trailer); a larger one is refused.
    static let maximumHeadBytes = 64 * 1024
    /// The longest chunk-size line read.
    static let maximumChunkLineBytes = 4096

    private var state = State.head
    /// The start of a head or of a line cut between two reads.
    private var partial: ByteBuffer?
    private var trailerBytes = 0
    /// Response: the next response answers a `HEAD` request (no body, whatever it says).
    var nextAnswersHEAD = false
    /// Whether the last event's bytes are those ``next(_:)`` took from the buffer it was given,
    /// in place: then a relay may forward consecutive events' bytes as one slice of that buffer.
    /// False when they were joined with bytes of an earlier read (a head or line cut in two).
    private(set) var lastEventContiguous = true

    init(role: Role) {
        self.role = role
    }

    /// Whether no message is under way: the last one ended and the next has not begun.
    var betweenMessages: Bool {
        if case .head = state { return partial == nil }
        return false
    }

    /// The connection closed: a body running to its end ends; any other message cut short is an error.
    mutating func finish() throws -> Event? {
        switch state {
        case .untilClose:
            state = .head
            return .end
        case .head where partial == nil:
            return nil
        case .failed:
            return nil
        default:
            state = .failed
            throw Malformed(reason: "the connection closed in the middle of a message")
        }
    }

    /// Takes the next event's bytes from the front of `buffer` (which may be replaced by what is
    /// left of a head joined across reads); nil when more bytes are needed first.
    mutating func next(_ buffer: inout ByteBuffer) throws -> Event? {
        lastEventContiguous = true
        switch state {
        case .failed:
            return nil
        case .ended:
            state = .head
            return .end
        case .head:
            return try head(&buffer)
        case .body(let remaining):
            guard buffer.readableBytes > 0, let bytes = buffer.readSlice(length: min(remaining, buffer.readableBytes)) else { return nil }
            state = bytes.readableBytes == remaining ? .ended : .body(remaining: remaining - bytes.readableBytes)
            return .body(bytes)
        case .untilClose:
            guard buffer.readableBytes > 0, let bytes = buffer.readSlice(length: buffer.readableBytes) else { return nil }
            return .body(bytes)
        case .chunkSize:
            guard let line = try line(&buffer, limit: Self.maximumChunkLineBytes, what: "chunk size") else { return nil }
            let size: Int
            do {
                size = try line.withUnsafeReadableBytes { try Self.chunkSize($0) }
            } catch let error as Malformed {
                throw fail(error.reason)
            }
            state = size == 0 ? .trailer : .chunkData(remaining: size)
            trailerBytes = 0
            return .framing(line)
        case .chunkData(let remaining):
            guard buffer.readableBytes > 0, let bytes = buffer.readSlice(length: min(remaining, buffer.readableBytes)) else { return nil }
            state = bytes.readableBytes == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - bytes.readableBytes)
            return .body(bytes)
        case .chunkDataEnd:
            guard let line = try line(&buffer, limit: 2, what: "chunk end") else { return nil }
            guard line.readableBytes == 2 else { throw fail("chunk data longer than its size") }
            state = .chunkSize
            return .framing(line)
        case .trailer:
            guard let line = try line(&buffer, limit: Self.maximumHeadBytes - trailerBytes, what: "trailer") else { return nil }
            trailerBytes += line.readableBytes
            if line.readableBytes == 2 {
                state = .ended
            } else {
                try line.withUnsafeReadableBytes { bytes in
                    let field = UnsafeRawBufferPointer(rebasing: bytes[0..<(bytes.count - 2)])
                    guard Self.fieldColon(field) != nil else { throw fail("a malformed trailer field") }
                }
            }
            return .framing(line)
        }
    }

    private mutating func fail(_ reason: String) -> Malformed {
        state = .failed
        partial = nil
        return Malformed(reason: reason)
    }

    // MARK: - Lines and heads across reads

    /// One CRLF-ended line from the front of `buffer`, joined across reads; nil until it ends.
    private mutating func line(_ buffer: inout ByteBuffer, limit: Int, what: String) throws -> ByteBuffer? {
        guard buffer.readableBytes > 0 || partial != nil else { return nil }
        if var joined = partial {
            // A line cut between reads: its bytes so far, then the new ones up to its end.
            lastEventContiguous = false
            let end = buffer.withUnsafeReadableBytes { bytes -> Int? in
                guard let newline = bytes.firstIndex(of: 0x0A) else { return nil }
                return newline + 1
            }
            let take = end ?? buffer.readableBytes
            guard joined.readableBytes + take <= limit else { throw fail("a \(what) line too long") }
            var piece = buffer.readSlice(length: take) ?? ByteBuffer()
            joined.writeBuffer(&piece)
            guard end != nil else {
                partial = joined
                return nil
            }
            partial = nil
            try checkLineEnd(joined, what: what)
            return joined
        }
        let end = buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard let newline = bytes.firstIndex(of: 0x0A) else { return nil }
            return newline + 1
        }
        guard let end else {
            guard buffer.readableBytes <= limit else { throw fail("a \(what) line too long") }
            partial = buffer.readSlice(length: buffer.readableBytes)
            return nil
        }
        guard end <= limit, let line = buffer.readSlice(length: end) else { throw fail("a \(what) line too long") }
        try checkLineEnd(line, what: what)
        return line
    }

    private mutating func checkLineEnd(_ line: ByteBuffer, what: String) throws {
        let count = line.readableBytes
        guard count >= 2, line.getInteger(at: line.readerIndex + count - 2, as: UInt8.self) == 0x0D else {
            throw fail("a \(what) line ends without CR LF")
        }
    }

    /// A head from the front of `buffer`, joined across reads; nil until its blank line came.
    private mutating func head(_ buffer: inout ByteBuffer) throws -> Event? {
        guard buffer.readableBytes > 0 else { return nil }
        var bytes: ByteBuffer
        var searchFrom = 0
        if var joined = partial {
            lastEventContiguous = false
            searchFrom = max(0, joined.readableBytes - 3)
            joined.writeBuffer(&buffer)
            bytes = joined
        } else {
            bytes = buffer
        }
        if role == .request {
            // Empty lines before a request are allowed (RFC 9112, 2.2): forwarded as framing.
            let blank = bytes.withUnsafeReadableBytes { bytes -> Int in
                var index = 0
                while index + 1 < bytes.count, bytes[index] == 0x0D, bytes[index + 1] == 0x0A { index += 2 }
                return index
            }
            if blank > 0, let lines = bytes.readSlice(length: blank) {
                partial = nil
                buffer = bytes
                return .framing(lines)
            }
        }
        let end = bytes.withUnsafeReadableBytes { Self.headEnd($0, from: searchFrom) }
        guard let end else {
            guard bytes.readableBytes <= Self.maximumHeadBytes else { throw fail("a head larger than \(Self.maximumHeadBytes / 1024) KiB") }
            partial = bytes
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return nil
        }
        guard end <= Self.maximumHeadBytes else { throw fail("a head larger than \(Self.maximumHeadBytes / 1024) KiB") }
        guard let headBytes = bytes.readSlice(length: end) else { return nil }
        // What follows the head is the rest of the bytes (joined heads leave it in `bytes`).
        buffer = bytes
        partial = nil
        var head = Head(bytes: headBytes)
        try headBytes.withUnsafeReadableBytes { try parse($0, into: &head) }
        switch head.framing {
        case .none: state = .ended
        case .length(let length): state = length == 0 ? .ended : .body(remaining: length)
        case .chunked: state = .chunkSize
        case .untilClose: state = .untilClose
        }
        if role == .response && !head.isInterim { nextAnswersHEAD = false }
        return .head(head)
    }

    /// The offset just past the `CR LF CR LF` that ends a head, searching from `from` (memchr
    /// finds each LF; a head has a few dozen).
    private static func headEnd(_ bytes: UnsafeRawBufferPointer, from: Int) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        var index = from
        while index < bytes.count, let found = memchr(base + index, 0x0A, bytes.count - index) {
            let newline = base.distance(to: UnsafeRawPointer(found))
            if newline >= 3, bytes[newline - 1] == 0x0D, bytes[newline - 2] == 0x0A, bytes[newline - 3] == 0x0D { return newline + 1 }
            index = newline + 1
        }
        return nil
    }

    // MARK: - Parsing a head

    /// Whether a byte may be in a token (a method, a field name): `!#$%&'*+-.^_`|~`, digits and
    /// letters (RFC 9110, 5.6.2), one bit each for the bytes below 64 and below 128.
    @inline(__always)
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        byte < 64 ? (0x03FF_6CFA_0000_0000 as UInt64) >> byte & 1 == 1
            : byte < 128 && (0x57FF_FFFF_C7FF_FFFE as UInt64) >> (byte - 64) & 1 == 1
    }

    /// Where a field line's colon is, when the line is `token ":" value` with a value free of
    /// control characters (tab aside).
    private static func fieldColon(_ line: UnsafeRawBufferPointer) -> Int? {
        var index = 0
        while index < line.count, isTokenCharacter(line[index]) { index += 1 }
        guard index > 0, index < line.count, line[index] == UInt8(ascii: ":") else { return nil }
        return hasControlCharacter(UnsafeRawBufferPointer(rebasing: line[(index + 1)...])) ? nil : index
    }

    /// Whether bytes hold a control character other than tab (CR and LF among them), or DEL;
    /// eight bytes a step where none is below 0x20 or DEL (values are most of a head's bytes).
    static func hasControlCharacter(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        var index = 0
        while index + 8 <= bytes.count {
            let word = (base + index).loadUnaligned(as: UInt64.self)
            // A byte below 0x20 (bytes of 0x80 and above, allowed, never count), or one equal to 0x7F.
            let below = (word &- 0x2020_2020_2020_2020) & ~word & highs
            let delete = word ^ 0x7F7F_7F7F_7F7F_7F7F
            if below | ((delete &- ones) & ~delete & highs) != 0 {
                // Perhaps only a tab: these eight bytes one by one.
                for byte in UnsafeRawBufferPointer(rebasing: bytes[index..<(index + 8)]) where isControl(byte) { return true }
            }
            index += 8
        }
        while index < bytes.count {
            if isControl(bytes[index]) { return true }
            index += 1
        }
        return false
    }

    @inline(__always)
    private static func isControl(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != 0x09) || byte == 0x7F
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }

    /// Whether `bytes` equal `text` (lowercase ASCII), ignoring case.
    private static func equals(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        guard bytes.count == text.utf8CodeUnitCount else { return false }
        let expected = UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        for index in 0..<bytes.count where lower(bytes[index]) != expected[index] { return false }
        return true
    }

    private static func trimmed(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var start = 0, end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }

    /// Calls `body` with each comma-separated element of a list value, trimmed, empty ones left out.
    private static func forEachElement(_ value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        for index in 0...value.count where index == value.count || value[index] == UInt8(ascii: ",") {
            let element = trimmed(UnsafeRawBufferPointer(rebasing: value[start..<index]))
            if !element.isEmpty { body(element) }
            start = index + 1
        }
    }

    private static func decimal(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 15 else { return nil }
        var value = 0
        for byte in bytes {
            guard byte &- UInt8(ascii: "0") < 10 else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    static func chunkSize(_ line: UnsafeRawBufferPointer) throws -> Int {
        var value = 0, digits = 0
        var index = 0
        while index < line.count - 2 {
            let byte = line[index]
            let digit: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = Int(byte - 48)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = Int(byte - 87)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = Int(byte - 55)
            default: digit = -1
            }
            if digit < 0 { break }
            digits += 1
            guard digits <= 12 else { throw Malformed(reason: "a chunk size too large") }
            value = value << 4 | digit
            index += 1
        }
        guard digits > 0 else { throw Malformed(reason: "a chunk without a size") }
        // What may follow: spaces, then extensions (`;name=value`), free of control characters.
        while index < line.count - 2, line[index] == 0x20 || line[index] == 0x09 { index += 1 }
        guard index == line.count - 2 || line[index] == UInt8(ascii: ";") else { throw Malformed(reason: "a malformed chunk size") }
        for byte in line[index..<(line.count - 2)] where (byte < 0x20 && byte != 0x09) || byte == 0x7F {
            throw Malformed(reason: "a malformed chunk extension")
        }
        return value
    }

    /// Checks a whole head and notes what a relay needs of it.
    private mutating func parse(_ bytes: UnsafeRawBufferPointer, into head: inout Head) throws {
        // Every line ends with CR LF; a CR or LF elsewhere is refused (the checks of the start
        // line and of each field refuse control characters).
        guard let base = bytes.baseAddress else { throw fail("an empty head") }
        @inline(__always) func lineEnd(from start: Int) throws -> Int {
            guard let found = memchr(base + start, 0x0A, bytes.count - start) else { throw fail("a head without its end") }
            let newline = base.distance(to: UnsafeRawPointer(found))
            guard newline > start, bytes[newline - 1] == 0x0D else { throw fail("a LF without CR in a head") }
            return newline - 1
        }
        let firstEnd = try lineEnd(from: 0)
        let first = UnsafeRawBufferPointer(rebasing: bytes[0..<firstEnd])
        switch role {
        case .request: try parseRequestLine(first, into: &head)
        case .response: try parseStatusLine(first, into: &head)
        }
        var length: Int?
        var chunked = false
        var transferEncoding = false
        var close = false
        var keepAlive = false
        var upgrade = false
        var position = firstEnd + 2
        // The last line is the empty one that ends the head.
        while position < bytes.count - 2 {
            let end = try lineEnd(from: position)
            let line = position..<end
            position = end + 2
            let field = UnsafeRawBufferPointer(rebasing: bytes[line])
            if field.first == 0x20 || field.first == 0x09 { throw fail("a folded header line") }
            guard let colon = Self.fieldColon(field) else {
                throw fail(field.contains(UInt8(ascii: ":")) ? "a malformed header field name" : "a header line without a colon")
            }
            let name = UnsafeRawBufferPointer(rebasing: field[0..<colon])
            let value = Self.trimmed(UnsafeRawBufferPointer(rebasing: field[(colon + 1)...]))
            switch name.count {
            case 14 where Self.equals(name, "content-length"):
                guard let number = Self.decimal(value) else { throw fail("a Content-Length that is not a number") }
                if let length, length != number { throw fail("two different Content-Length values") }
                length = number
            case 17 where Self.equals(name, "transfer-encoding"):
                transferEncoding = true
                chunked = false
                // Chunked must be the last coding for the length to be known (RFC 9112, 6.3).
                Self.forEachElement(value) { chunked = Self.equals($0, "chunked") }
            case 10 where Self.equals(name, "connection"):
                Self.forEachElement(value) { token in
                    if Self.equals(token, "close") { close = true }
                    if Self.equals(token, "keep-alive") { keepAlive = true }
                    if Self.equals(token, "upgrade") { upgrade = true }
                }
            case 16 where Self.equals(name, "proxy-connection"),
                 18 where Self.equals(name, "proxy-authenticate"),
                 19 where Self.equals(name, "proxy-authorization"):
                head.proxyFieldLines.append(line.lowerBound..<(line.upperBound + 2))
            case 16 where Self.equals(name, "x-amzn-errortype") && role == .response:
                head.errorType = String(decoding: value, as: UTF8.self)
            default:
                break
            }
        }
        head.keepAlive = head.minorVersion >= 1 ? !close : (keepAlive && !close)
        head.upgrade = upgrade
        switch role {
        case .request:
            if transferEncoding {
                guard length == nil else { throw fail("both Content-Length and Transfer-Encoding") }
                guard chunked else { throw fail("a Transfer-Encoding whose last coding is not chunked") }
                guard head.minorVersion >= 1 else { throw fail("Transfer-Encoding in an HTTP/1.0 request") }
                head.framing = .chunked
            } else {
                head.framing = length.map { .length($0) } ?? .none
            }
        case .response:
            if head.status < 200 || head.status == 204 || head.status == 304 || nextAnswersHEAD {
                head.framing = .none
            } else if transferEncoding {
                // Transfer-Encoding wins over a Content-Length (RFC 9112, 6.3); a coding other
                // than chunked last runs to the end of the connection.
                head.framing = chunked ? .chunked : .untilClose
                if !chunked { head.keepAlive = false }
            } else if let length {
                head.framing = .length(length)
            } else {
                head.framing = .untilClose
                head.keepAlive = false
            }
        }
    }

    private mutating func parseRequestLine(_ line: UnsafeRawBufferPointer, into head: inout Head) throws {
        var index = 0
        while index < line.count, Self.isTokenCharacter(line[index]) { index += 1 }
        guard index > 0, index < line.count, line[index] == 0x20 else { throw fail("a malformed request line") }
        head.method = String(decoding: UnsafeRawBufferPointer(rebasing: line[0..<index]), as: UTF8.self)
        let targetStart = index + 1
        index = targetStart
        while index < line.count, line[index] > 0x20, line[index] != 0x7F { index += 1 }
        guard index > targetStart, index < line.count, line[index] == 0x20 else { throw fail("a malformed request line") }
        head.target = targetStart..<index
        let version = UnsafeRawBufferPointer(rebasing: line[(index + 1)...])
        guard version.count == 8, Self.equals(UnsafeRawBufferPointer(rebasing: version[0..<7]), "http/1."),
              version[0] == UInt8(ascii: "H"), version[7] &- UInt8(ascii: "0") < 10 else {
            throw fail("a request line without HTTP/1.0 or HTTP/1.1")
        }
        head.minorVersion = Int(version[7] - UInt8(ascii: "0"))
    }

    private mutating func parseStatusLine(_ line: UnsafeRawBufferPointer, into head: inout Head) throws {
        guard line.count >= 12, Self.equals(UnsafeRawBufferPointer(rebasing: line[0..<7]), "http/1."),
              line[7] &- UInt8(ascii: "0") < 10, line[8] == 0x20,
              let status = Self.decimal(UnsafeRawBufferPointer(rebasing: line[9..<12])), status >= 100,
              line.count == 12 || line[12] == 0x20 else {
            throw fail("a malformed status line")
        }
        for byte in line.dropFirst(12) where (byte < 0x20 && byte != 0x09) || byte == 0x7F { throw fail("a malformed status line") }
        head.minorVersion = Int(line[7] - UInt8(ascii: "0"))
        head.status = status
    }
}
