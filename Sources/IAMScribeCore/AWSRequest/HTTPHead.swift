#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// The head of one HTTP/1.x message, as a view over borrowed bytes: the AWS request stage's fast
/// input.
///
/// Valid only while the bytes it points into are: the capture's HTTP parser makes one over its
/// buffer (or the packet) for the length of a callback; ``HTTPExchange`` makes one over its own
/// copy of a request's head for the length of a decoding (see `HTTPExchange+Head.swift`).
struct HTTPHead {
    /// Where one header field's name and value lie in ``bytes``.
    struct Field {
        let name: Range<Int>
        let value: Range<Int>
    }

    /// The fields the decoders ask every message for, found while the head is parsed.
    enum CommonField: Int, CaseIterable {
        case host, authorization, amzTarget, contentType, expect, errorType

        /// The field a header name is, compared case-insensitively.
        static func named(_ name: UnsafeRawBufferPointer) -> CommonField? {
            // Most names are none of these: the length and first letter rule them out.
            guard name.count >= 4 else { return nil }
            switch (name.count, HTTPBytes.lower(name[0])) {
            case (4, UInt8(ascii: "h")): return HTTPBytes.hasPrefix(name, "host", ignoringCase: true) ? .host : nil
            case (6, UInt8(ascii: "e")): return HTTPBytes.hasPrefix(name, "expect", ignoringCase: true) ? .expect : nil
            case (12, UInt8(ascii: "x")): return HTTPBytes.hasPrefix(name, "x-amz-target", ignoringCase: true) ? .amzTarget : nil
            case (12, UInt8(ascii: "c")): return HTTPBytes.hasPrefix(name, "content-type", ignoringCase: true) ? .contentType : nil
            case (13, UInt8(ascii: "a")): return HTTPBytes.hasPrefix(name, "authorization", ignoringCase: true) ? .authorization : nil
            case (16, UInt8(ascii: "x")): return HTTPBytes.hasPrefix(name, "x-amzn-errortype", ignoringCase: true) ? .errorType : nil
            default: return nil
            }
        }
    }

    /// Where the first of each common field lies in ``fields``, -1 when absent.
    struct CommonFields {
        /// Each field's index plus one, in the 10 bits at 10 times its raw value; 0 when absent.
        /// (Indexes are below ``HTTPHead/maximumFields``.)
        private var packed: UInt64 = 0

        /// Notes the field at `index` when it is the first of its name.
        @inline(__always)
        mutating func note(_ field: CommonField, at index: Int) {
            let shift = UInt64(field.rawValue * 10)
            if (packed >> shift) & 0x3FF == 0 { packed |= UInt64(index + 1) << shift }
        }

        @inline(__always)
        func index(of field: CommonField) -> Int? {
            let stored = Int(truncatingIfNeeded: (packed >> UInt64(field.rawValue * 10)) & 0x3FF)
            return stored == 0 ? nil : stored - 1
        }
    }

    let bytes: UnsafeRawBufferPointer
    /// The request method, empty for a response.
    let method: Range<Int>
    /// The request target (origin or absolute form), empty for a response.
    let target: Range<Int>
    /// The response status, 0 for a request.
    let status: Int
    let fields: UnsafeBufferPointer<Field>
    let common: CommonFields

    /// The most fields of one head that are kept; the rest are not looked at.
    static let maximumFields = 256

    /// The value of the first field of a common name.
    @inline(__always)
    func value(of field: CommonField) -> UnsafeRawBufferPointer? {
        common.index(of: field).map { slice(fields[$0].value) }
    }

    /// The bytes of a range.
    @inline(__always)
    func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[range])
    }

    /// The value of the first field whose name, lowercased, is `name` (lowercase ASCII).
    func value(ofLowercased name: [UInt8]) -> UnsafeRawBufferPointer? {
        for field in fields where field.name.count == name.count {
            var same = true
            for index in 0..<name.count where HTTPBytes.lower(bytes[field.name.lowerBound + index]) != name[index] {
                same = false
                break
            }
            if same { return slice(field.value) }
        }
        return nil
    }

    /// The method as text.
    var methodString: String { String(decoding: slice(method), as: UTF8.self) }
}

extension HTTPHead {
    /// What ``parse(_:request:fields:)`` read of a head besides its fields.
    struct Parsed {
        var method = 0..<0
        var target = 0..<0
        var status = 0
        var common = CommonFields()
        /// The `Content-Length` value, when one parsed as a number.
        var length: Int?
        /// Whether `Transfer-Encoding` names chunked.
        var chunked = false
    }

    /// Reads a head's start line and fields (at most ``maximumFields`` kept, each trimmed), as
    /// leniently as a capture needs: lines may end with LF alone, and lines that are not fields
    /// are passed over.
    ///
    /// - Parameters:
    ///   - head: The head's bytes, through its blank line (or its end).
    ///   - request: Whether it is a request's head (else a response's).
    ///   - fields: Filled with the fields' ranges in `head` (emptied first).
    /// - Returns: nil when the first line is not a request line (or status line).
    static func parse(_ head: UnsafeRawBufferPointer, request: Bool, fields: inout [Field]) -> Parsed? {
        fields.removeAll(keepingCapacity: true)
        guard let base = head.baseAddress,
              let firstLineEnd = memchr(base, 0x0A, head.count).map({ base.distance(to: UnsafeRawPointer($0)) }) else {
            return nil
        }
        var line = 0..<firstLineEnd
        if line.upperBound > line.lowerBound, head[line.upperBound - 1] == 0x0D { line = line.lowerBound..<(line.upperBound - 1) }
        var parsed = Parsed()
        let first = UnsafeRawBufferPointer(rebasing: head[line])
        if request {
            guard let space = first.firstIndex(of: 0x20), space > 0,
                  first[0..<space].allSatisfy({ $0 &- 0x41 < 26 }),
                  let secondSpace = lastSpace(first, after: space), secondSpace > space + 1,
                  HTTPBytes.hasPrefix(UnsafeRawBufferPointer(rebasing: first[(secondSpace + 1)...]), "HTTP/1.") else {
                return nil
            }
            parsed.method = 0..<space
            parsed.target = (space + 1)..<secondSpace
        } else {
            guard first.count >= 12, HTTPBytes.hasPrefix(first, "HTTP/1."), first[8] == 0x20,
                  let code = HTTPBytes.decimal(UnsafeRawBufferPointer(rebasing: first[9..<12])) else {
                return nil
            }
            parsed.status = code
        }
        var position = firstLineEnd + 1
        while position < head.count {
            let remaining = head.count - position
            let end = memchr(base + position, 0x0A, remaining).map { base.distance(to: UnsafeRawPointer($0)) } ?? head.count
            var lineEnd = end
            if lineEnd > position, head[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            if lineEnd > position, head[position] != 0x20, head[position] != 0x09,
               let colon = memchr(base + position, 0x3A, lineEnd - position).map({ base.distance(to: UnsafeRawPointer($0)) }) {
                let field = Field(name: position..<colon, value: HTTPBytes.trim(head, (colon + 1)..<lineEnd))
                let name = UnsafeRawBufferPointer(rebasing: head[field.name])
                // Only names of these lengths matter here; most fields are none of them.
                switch name.count {
                case 14:
                    if HTTPBytes.hasPrefix(name, "content-length", ignoringCase: true) {
                        parsed.length = HTTPBytes.decimal(UnsafeRawBufferPointer(rebasing: head[field.value]))
                    }
                case 17:
                    if HTTPBytes.hasPrefix(name, "transfer-encoding", ignoringCase: true) {
                        parsed.chunked = HTTPBytes.contains(UnsafeRawBufferPointer(rebasing: head[field.value]), "chunked")
                    }
                case 4, 6, 12, 13, 16:
                    if fields.count < maximumFields, let known = CommonField.named(name) { parsed.common.note(known, at: fields.count) }
                default:
                    break
                }
                if fields.count < maximumFields { fields.append(field) }
            }
            position = end + 1
        }
        return parsed
    }

    /// The offset of the last space in `line` after offset `after`, found from the end (the
    /// request line's version is short; its target may be long).
    @inline(__always)
    private static func lastSpace(_ line: UnsafeRawBufferPointer, after: Int) -> Int? {
        var index = line.count - 1
        while index > after {
            if line[index] == 0x20 { return index }
            index -= 1
        }
        return nil
    }
}
