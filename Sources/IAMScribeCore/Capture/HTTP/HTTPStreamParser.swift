#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// How the parser should read the body of a message whose head it just read.
enum HTTPBodyPlan: Equatable {
    /// The message has no body whatever its headers say (a response to HEAD, a 204 or 304).
    case none
    /// The body is framed by the headers; keep at most this many of its bytes for the callback.
    case framed(keep: Int)
}

/// Receives what an ``HTTPStreamParser`` reads.
protocol HTTPStreamDelegate: AnyObject {
    /// A message head was read; returns how to read its body.
    func httpHead(_ parser: HTTPStreamParser, _ head: HTTPHead, framing: HTTPStreamParser.Framing) -> HTTPBodyPlan
    /// The message whose head came last ended.
    ///
    /// - Parameters:
    ///   - body: The kept body when it was kept whole, else nil.
    ///   - complete: False when bytes of the message were missing from the capture.
    func httpMessageEnd(_ parser: HTTPStreamParser, body: UnsafeRawBufferPointer?, complete: Bool)
    /// The stream lost its framing (missing bytes, bytes that are not HTTP); the parser looks for
    /// the next message start. `partialHead` tells whether a message head was cut short.
    func httpLostSync(_ parser: HTTPStreamParser, partialHead: Bool)
}

/// Reads HTTP/1.x messages from one direction of a connection, fed in pieces of any size.
///
/// Pipelined messages, `Content-Length` and chunked bodies, and bodies that run to the end of the
/// connection are framed; missing bytes (gaps) are skipped inside a body of known length, and
/// otherwise make the parser look for the next line that starts a message. Heads are bounded to
/// ``maximumHeadBytes``; bodies are kept only as far as the delegate asks.
///
/// Its stored properties are `@exclusivity(unchecked)`, for the reason in `Capture/UNSAFE.md`.
final class HTTPStreamParser {
    /// Which kind of message the stream carries.
    enum Role { case request, response }

    /// How a message's body is framed.
    enum Framing: Equatable {
        case length(Int)
        case chunked
        /// To the end of the connection (a response without length).
        case untilClose
    }

    private enum State: Equatable {
        case head
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailer
        case untilClose
        case resync
    }

    let role: Role
    /// Unretained: the delegate owns the parser (see `Capture/UNSAFE.md`).
    unowned(unsafe) var delegate: any HTTPStreamDelegate
    /// The largest head read; a larger one is treated as lost framing.
    @exclusivity(unchecked) var maximumHeadBytes = 64 * 1024

    @exclusivity(unchecked) private var state: State = .head
    @exclusivity(unchecked) private var headBuffer: [UInt8] = []
    @exclusivity(unchecked) private var lineBuffer: [UInt8] = []
    @exclusivity(unchecked) private var fields: [HTTPHead.Field] = []
    @exclusivity(unchecked) private var bodyBuffer: [UInt8] = []
    @exclusivity(unchecked) private var keep = 0
    @exclusivity(unchecked) private var overflow = false
    @exclusivity(unchecked) private var damaged = false
    @exclusivity(unchecked) private var bodyStarted = false
    /// While resynchronizing: whether the next byte starts a line, and that line's first bytes.
    @exclusivity(unchecked) private var atLineStart = true
    @exclusivity(unchecked) private var probe: [UInt8] = []

    init(role: Role, delegate: any HTTPStreamDelegate) {
        self.role = role
        self.delegate = delegate
        fields.reserveCapacity(32)
    }

    /// Whether a message's head has been read and its body has not ended.
    var inBody: Bool {
        switch state {
        case .head, .resync: false
        default: true
        }
    }

    /// Whether the parser lost framing and looks for a message start.
    var isResynchronizing: Bool { state == .resync }

    /// Takes the stream's next bytes.
    func receive(_ data: UnsafeRawBufferPointer) {
        var index = 0
        while index < data.count {
            switch state {
            case .head:
                index = readHead(data, from: index)
            case .body(let remaining):
                let count = min(remaining, data.count - index)
                take(UnsafeRawBufferPointer(rebasing: data[index..<(index + count)]))
                index += count
                if remaining == count { endMessage() } else { state = .body(remaining: remaining - count) }
            case .chunkSize:
                guard let line = readLine(data, &index) else { return }
                guard let size = Self.chunkSize(line) else {
                    loseSync(partialHead: false)
                    continue
                }
                state = size == 0 ? .trailer : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let count = min(remaining, data.count - index)
                take(UnsafeRawBufferPointer(rebasing: data[index..<(index + count)]))
                index += count
                state = remaining == count ? .chunkDataEnd : .chunkData(remaining: remaining - count)
            case .chunkDataEnd:
                guard let line = readLine(data, &index) else { return }
                if !line.isEmpty { loseSync(partialHead: false) } else { state = .chunkSize }
            case .trailer:
                guard let line = readLine(data, &index) else { return }
                if line.isEmpty { endMessage() }
            case .untilClose:
                take(UnsafeRawBufferPointer(rebasing: data[index...]))
                index = data.count
            case .resync:
                index = resynchronize(data, from: index)
            }
        }
    }

    /// Reports `count` bytes missing from the stream.
    func gap(_ count: Int) {
        switch state {
        case .body(let remaining) where count < remaining:
            damaged = true
            state = .body(remaining: remaining - count)
        case .body(let remaining) where count == remaining:
            damaged = true
            endMessage()
        case .untilClose:
            damaged = true
        case .head where headBuffer.isEmpty:
            // Between messages: nothing known was lost, but the next bytes may be mid-message.
            state = .resync
            atLineStart = true
            probe.removeAll(keepingCapacity: true)
            delegate.httpLostSync(self, partialHead: false)
        case .resync:
            // Segments mostly start at message boundaries: look there first.
            atLineStart = true
            probe.removeAll(keepingCapacity: true)
        default:
            loseSync(partialHead: state == .head)
        }
    }

    /// Ends the stream: a body that runs to the end of the connection is complete; a message
    /// cut short is reported incomplete.
    func finish() {
        switch state {
        case .untilClose:
            endMessage()
        case .head:
            if !headBuffer.isEmpty { loseSync(partialHead: true) }
        case .resync:
            break
        default:
            loseSync(partialHead: false)
        }
        state = .head
    }

    /// Ends a request body that has not started: the server answered an `Expect: 100-continue`
    /// request with a final status, so the client sends no body.
    func abandonBodyIfNotStarted() {
        guard !bodyStarted else { return }
        switch state {
        case .body, .chunkSize: endMessage()
        default: break
        }
    }

    // MARK: - Heads

    /// Reads (part of) a head starting at `start`; returns where reading stops.
    private func readHead(_ data: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        if headBuffer.isEmpty {
            // Blank lines between messages are allowed.
            while index < data.count, data[index] == 0x0D || data[index] == 0x0A { index += 1 }
            guard index < data.count else { return index }
            if let newline = Self.firstNewline(data, from: index),
               !startsMessage(UnsafeRawBufferPointer(rebasing: data[index..<newline])) {
                // Not a message start: look for one from the next line on.
                loseSync(partialHead: false)
                return newline + 1
            }
            if let end = Self.headEnd(data, searchFrom: index) {
                // A head that does not parse is looked through line by line for a message start.
                if let firstLine = parseHead(UnsafeRawBufferPointer(rebasing: data[index..<end])) { return index + firstLine }
                return end
            }
            guard data.count - index <= maximumHeadBytes else {
                loseSync(partialHead: true)
                return index + 1
            }
            headBuffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: data[index...]))
            return data.count
        }
        let before = headBuffer.count
        let available = min(data.count - index, maximumHeadBytes + 4 - before)
        headBuffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: data[index..<(index + available)]))
        let invalidLine = headBuffer.withUnsafeBytes { buffer -> Int? in
            guard let newline = Self.firstNewline(buffer, from: 0), newline >= before,
                  !startsMessage(UnsafeRawBufferPointer(rebasing: buffer[0..<newline])) else { return nil }
            return newline
        }
        if let newline = invalidLine {
            loseSync(partialHead: false)
            return index + (newline - before) + 1
        }
        let end = headBuffer.withUnsafeBytes { Self.headEnd($0, searchFrom: max(0, before - 3)) }
        guard let end else {
            if headBuffer.count > maximumHeadBytes {
                loseSync(partialHead: true)
                return index + available
            }
            return data.count
        }
        let consumed = end - before
        _ = headBuffer.withUnsafeBytes { parseHead(UnsafeRawBufferPointer(rebasing: $0[0..<end])) }
        headBuffer.removeAll(keepingCapacity: true)
        return index + consumed
    }

    private static func firstNewline(_ data: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = data.baseAddress, start < data.count,
              let found = memchr(base + start, 0x0A, data.count - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// Whether a line can start a message of this stream's role.
    private func startsMessage(_ line: UnsafeRawBufferPointer) -> Bool {
        role == .request ? HTTPBytes.startsWithMethod(line) : HTTPBytes.hasPrefix(line, "HTTP/1.")
    }

    /// The offset just past the blank line that ends a head, searching from `searchFrom`.
    private static func headEnd(_ data: UnsafeRawBufferPointer, searchFrom: Int) -> Int? {
        guard let base = data.baseAddress else { return nil }
        var index = searchFrom
        while index < data.count {
            guard let found = memchr(base + index, 0x0A, data.count - index) else { return nil }
            let newline = base.distance(to: UnsafeRawPointer(found))
            if newline + 2 < data.count, data[newline + 1] == 0x0D, data[newline + 2] == 0x0A {
                return newline + 3
            }
            if newline + 1 < data.count, data[newline + 1] == 0x0A { return newline + 2 }
            index = newline + 1
        }
        return nil
    }

    /// Parses a whole head and hands it to the delegate.
    ///
    /// - Returns: nil when the head parsed; else the offset past its first line, where looking
    ///   for a message start goes on.
    private func parseHead(_ head: UnsafeRawBufferPointer) -> Int? {
        // The fields are gathered in a local array, given back on return: appending to the stored
        // property would check exclusive access for every field.
        var fields = self.fields
        self.fields = []
        defer { self.fields = fields }
        guard let parsed = HTTPHead.parse(head, request: role == .request, fields: &fields) else {
            loseSync(partialHead: false)
            return head.baseAddress.flatMap { base in memchr(base, 0x0A, head.count).map { base.distance(to: UnsafeRawPointer($0)) + 1 } }
                ?? head.count
        }
        let framing: Framing
        if parsed.chunked {
            framing = .chunked
        } else if let length = parsed.length {
            framing = .length(length)
        } else {
            framing = role == .request ? .length(0) : .untilClose
        }
        let plan = fields.withUnsafeBufferPointer { fields in
            delegate.httpHead(self, HTTPHead(bytes: head, method: parsed.method, target: parsed.target, status: parsed.status,
                                             fields: fields, common: parsed.common), framing: framing)
        }
        keep = 0
        overflow = false
        damaged = false
        bodyStarted = false
        switch (plan, framing) {
        case (.none, _):
            endMessage()
        case (.framed(let keep), .length(0)):
            self.keep = keep
            endMessage()
        case (.framed(let keep), .length(let count)):
            self.keep = keep
            state = .body(remaining: count)
        case (.framed(let keep), .chunked):
            self.keep = keep
            state = .chunkSize
        case (.framed(let keep), .untilClose):
            self.keep = keep
            state = .untilClose
        }
        return nil
    }

    // MARK: - Bodies

    @inline(__always)
    private func take(_ bytes: UnsafeRawBufferPointer) {
        if !bytes.isEmpty { bodyStarted = true }
        guard keep > 0, !overflow, !bytes.isEmpty else { return }
        if bodyBuffer.count + bytes.count > keep {
            overflow = true
            return
        }
        bodyBuffer.append(contentsOf: bytes)
    }

    private func endMessage() {
        state = .head
        let complete = !damaged
        if keep > 0, !overflow {
            bodyBuffer.withUnsafeBytes { delegate.httpMessageEnd(self, body: $0, complete: complete) }
        } else {
            delegate.httpMessageEnd(self, body: nil, complete: complete)
        }
        if bodyBuffer.capacity > 64 * 1024 { bodyBuffer = [] } else { bodyBuffer.removeAll(keepingCapacity: true) }
        keep = 0
        overflow = false
        damaged = false
    }

    private func loseSync(partialHead: Bool) {
        if inBody {
            damaged = true
            endMessage()
        }
        state = .resync
        atLineStart = true
        probe.removeAll(keepingCapacity: true)
        headBuffer.removeAll(keepingCapacity: true)
        lineBuffer.removeAll(keepingCapacity: true)
        delegate.httpLostSync(self, partialHead: partialHead)
    }

    /// Reads one line (without its line end) for the chunked framing, buffering across pieces.
    private func readLine(_ data: UnsafeRawBufferPointer, _ index: inout Int) -> [UInt8]? {
        guard let base = data.baseAddress else { return nil }
        guard let found = memchr(base + index, 0x0A, data.count - index) else {
            lineBuffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: data[index...]))
            index = data.count
            if lineBuffer.count > 4096 { loseSync(partialHead: false) }
            return nil
        }
        let newline = base.distance(to: UnsafeRawPointer(found))
        lineBuffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: data[index..<newline]))
        index = newline + 1
        if lineBuffer.last == 0x0D { lineBuffer.removeLast() }
        defer { lineBuffer.removeAll(keepingCapacity: true) }
        return lineBuffer
    }

    private static func chunkSize(_ line: [UInt8]) -> Int? {
        var value = 0
        var digits = 0
        for byte in line {
            let digit: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = Int(byte - 48)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = Int(byte - 87)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = Int(byte - 55)
            case UInt8(ascii: ";"), 0x20, 0x09:
                return digits > 0 ? value : nil
            default: return nil
            }
            digits += 1
            guard digits <= 15 else { return nil }
            value = value << 4 | digit
        }
        return digits > 0 ? value : nil
    }

    // MARK: - Resynchronizing

    /// Looks for a line that starts a message; returns where reading goes on. The first bytes
    /// of a line are gathered across pieces, so a message start split between segments is found.
    private func resynchronize(_ data: UnsafeRawBufferPointer, from start: Int) -> Int {
        guard let base = data.baseAddress else { return data.count }
        var index = start
        while index < data.count {
            if atLineStart {
                while probe.count < 8, index < data.count, data[index] != 0x0A {
                    probe.append(data[index])
                    index += 1
                }
                if probe.count == 8 || (index < data.count && probe.count >= 4) {
                    let found = probe.withUnsafeBytes { startsMessage($0) }
                    if found {
                        state = .head
                        headBuffer = probe
                        probe.removeAll(keepingCapacity: true)
                        return index
                    }
                } else if index == data.count {
                    return index
                }
                probe.removeAll(keepingCapacity: true)
                atLineStart = false
            }
            guard index < data.count, let newline = memchr(base + index, 0x0A, data.count - index) else { return data.count }
            index = base.distance(to: UnsafeRawPointer(newline)) + 1
            atLineStart = true
        }
        return data.count
    }
}
