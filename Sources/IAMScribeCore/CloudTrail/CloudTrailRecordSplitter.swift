/// Splits a stream of CloudTrail JSON into its records, holding at most one record at a time.
///
/// Three layouts are told apart by their first bytes: a delivered log file (`{"Records":[…]}`,
/// also what the console's event history download writes), a JSON array of events, and JSON
/// lines, one event an object (CloudTrail Lake exports). Records are found by counting brackets
/// outside strings, so a record is never parsed twice and the file never held whole.
struct CloudTrailRecordSplitter {
    /// How the records are laid out.
    enum Layout: String, Sendable {
        /// `{"Records":[…]}`.
        case delivered = "CloudTrail log file"
        /// `[{…},{…}]`.
        case array = "JSON array of CloudTrail events"
        /// One event object a line.
        case lines = "CloudTrail events as JSON lines"
    }

    /// What was wrong with the stream's structure; the records before it count.
    struct Failure: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }

    /// The largest record kept (CloudTrail's own limit is 256 KB); a larger one is reported.
    static let maximumRecordBytes = 4 << 20

    private(set) var layout: Layout?
    /// Records found so far (including oversized ones).
    private(set) var recordCount = 0
    private var head: [UInt8] = []
    private var depth = 0
    private var recordDepth = 0
    private var inString = false
    private var escaped = false
    private var capturing = false
    private var record: [UInt8] = []
    private var oversized = false

    /// Feeds the next bytes; `emit` gets each whole record (its bytes, or nil when it was over
    /// ``maximumRecordBytes``) with its number, counting from 1.
    ///
    /// Documents may follow one another (`cat a.json b.json`, or concatenated gzip files): after
    /// a delivered file's or an array's closing bracket, the next document's layout is told anew.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ emit: (UnsafeRawBufferPointer?, Int) throws -> Void) throws {
        var rest = bytes
        // A loop, not recursion: a hostile input can hold a million tiny documents.
        while true {
            if layout != nil {
                guard let end = try scan(rest, emit) else { return }
                rest = UnsafeRawBufferPointer(rebasing: rest[end...])
                continue
            }
            head.append(contentsOf: rest)
            guard let found = try Self.layout(of: head) else { return }
            layout = found
            switch found {
            case .delivered: recordDepth = 2
            case .array: recordDepth = 1
            case .lines: recordDepth = 0
            }
            let held = head
            head = []
            let end = try held.withUnsafeBytes { try scan($0, emit) }
            guard let end else { return }
            // The held bytes' rest is told anew, with nothing new from the caller yet.
            head = Array(held[end...])
            rest = UnsafeRawBufferPointer(start: nil, count: 0)
        }
    }

    /// Checks the stream ended where a record could: not inside one, brackets closed.
    mutating func finish() throws {
        if layout == nil {
            if head.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return }
            throw Failure(reason: "the file ends before its first record")
        }
        if capturing || depth != 0 || inString {
            throw Failure(reason: "the file ends inside record \(recordCount + 1) (truncated)")
        }
    }

    /// The layout, once enough bytes are there to tell; throws when it is not CloudTrail JSON.
    static func layout(of head: [UInt8]) throws -> Layout? {
        var index = 0
        if head.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        func skip() { while index < head.count, [0x20, 0x0A, 0x0D, 0x09].contains(head[index]) { index += 1 } }
        skip()
        guard index < head.count else { return nil }
        switch head[index] {
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "{"):
            index += 1
            skip()
            guard index < head.count else { return nil }
            guard head[index] == UInt8(ascii: "\"") else { throw Failure(reason: "not CloudTrail JSON: an object without a member name") }
            let name = Array("\"Records\"".utf8)
            if head.count - index < name.count { return nil }
            return Array(head[index..<index + name.count]) == name ? .delivered : .lines
        default:
            throw Failure(reason: "not CloudTrail JSON: it starts with neither '{' nor '['")
        }
    }

    /// Scans bytes; returns where the document ended when it ended before their end.
    private mutating func scan(_ bytes: UnsafeRawBufferPointer, _ emit: (UnsafeRawBufferPointer?, Int) throws -> Void) throws -> Int? {
        var start = capturing ? 0 : -1
        var index = 0
        let count = bytes.count
        // The string state in locals (the hot loop), stored back however the scan ends.
        var inString = self.inString
        var escaped = self.escaped
        defer {
            self.inString = inString
            self.escaped = escaped
        }
        while index < count {
            if inString {
                // Most of a record's bytes are inside strings: straight to the closing quote.
                if escaped {
                    escaped = false
                    index += 1
                    continue
                }
                let (quote, pendingEscape) = JSONSkimmer.closingQuote(in: bytes, from: index)
                guard let quote else {
                    escaped = pendingEscape
                    index = count
                    break
                }
                inString = false
                index = quote + 1
                continue
            }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                if depth == recordDepth && !capturing { throw unexpected("a string") }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if depth == recordDepth && !capturing {
                    guard byte == UInt8(ascii: "{") else { throw unexpected("a list") }
                    capturing = true
                    oversized = false
                    start = index
                }
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth < 0 { throw Failure(reason: "unbalanced brackets after record \(recordCount)") }
                if capturing && depth == recordDepth {
                    capturing = false
                    recordCount += 1
                    let piece = UnsafeRawBufferPointer(rebasing: bytes[start...index])
                    if oversized || record.count + piece.count > Self.maximumRecordBytes {
                        try emit(nil, recordCount)
                    } else if record.isEmpty {
                        try emit(piece, recordCount)
                    } else {
                        record.append(contentsOf: piece)
                        try record.withUnsafeBytes { try emit($0, recordCount) }
                    }
                    record.removeAll(keepingCapacity: record.capacity <= 1 << 20)
                    start = -1
                }
                if depth == 0 && layout != .lines {
                    // The document ended: what follows is told anew.
                    layout = nil
                    return index + 1
                }
            case 0x20, 0x0A, 0x0D, 0x09, UInt8(ascii: ","), UInt8(ascii: ":"):
                if depth == recordDepth && !capturing && layout == .lines && (byte == UInt8(ascii: ",") || byte == UInt8(ascii: ":")) {
                    throw unexpected("'\(Character(Unicode.Scalar(byte)))'")
                }
            default:
                if depth == recordDepth && !capturing { throw unexpected("a value that is not an event object") }
                if depth == 0 && !capturing { throw unexpected("text outside the records") }
            }
            index += 1
        }
        if capturing && start >= 0 {
            if !oversized {
                if record.count + (count - start) > Self.maximumRecordBytes {
                    oversized = true
                    record.removeAll()
                } else {
                    record.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<count]))
                }
            }
        }
        return nil
    }

    private func unexpected(_ what: String) -> Failure {
        Failure(reason: "expected an event object after record \(recordCount), found \(what)")
    }
}
