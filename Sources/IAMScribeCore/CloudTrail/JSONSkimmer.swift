#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// Walks one JSON value in place, reading the strings it is asked for and skipping the rest
/// without building anything: a CloudTrail record's `responseElements` and `tlsDetails` are
/// most of its bytes and none of what a policy needs.
struct JSONSkimmer {
    /// What was wrong with the JSON, and where (a byte offset in the value).
    struct Failure: Error, CustomStringConvertible {
        let reason: String
        let offset: Int

        var description: String { "\(reason) at byte \(offset + 1)" }
    }

    let bytes: UnsafeRawBufferPointer
    private(set) var index: Int

    init(_ bytes: UnsafeRawBufferPointer, at index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

    private func failure(_ reason: String) -> Failure { Failure(reason: reason, offset: index) }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// The next byte after whitespace, not consumed; nil at the end.
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : nil
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws {
        guard peek() == byte else { throw failure("expected \(what)") }
        index += 1
    }

    /// Calls `body` with each member name of the object that starts here; `body` must consume
    /// the member's value (read it or ``skipValue()``).
    mutating func members(_ body: (inout JSONSkimmer, String) throws -> Void) throws {
        try expect(UInt8(ascii: "{"), "an object")
        if peek() == UInt8(ascii: "}") { index += 1; return }
        while true {
            guard peek() == UInt8(ascii: "\"") else { throw failure("expected a member name") }
            let name = try readString()
            try expect(UInt8(ascii: ":"), "':' after a member name")
            try body(&self, name)
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return
            default: throw failure("expected ',' or '}' in an object")
            }
        }
    }

    /// Calls `body` with each member name of the object that starts here, as its raw bytes
    /// (escapes left as they are: CloudTrail's names have none); `body` must consume the value.
    mutating func rawMembers(_ body: (inout JSONSkimmer, UnsafeRawBufferPointer) throws -> Void) throws {
        try expect(UInt8(ascii: "{"), "an object")
        if peek() == UInt8(ascii: "}") { index += 1; return }
        while true {
            guard peek() == UInt8(ascii: "\"") else { throw failure("expected a member name") }
            let start = index + 1
            try skipString()
            let name = UnsafeRawBufferPointer(rebasing: bytes[start..<index - 1])
            try expect(UInt8(ascii: ":"), "':' after a member name")
            try body(&self, name)
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return
            default: throw failure("expected ',' or '}' in an object")
            }
        }
    }

    /// Whether raw member name bytes are `name`.
    @inline(__always)
    static func isName(_ raw: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
        guard raw.count == name.utf8CodeUnitCount else { return false }
        guard let base = raw.baseAddress else { return raw.count == 0 }
        return memcmp(base, name.utf8Start, raw.count) == 0
    }

    /// Calls `body` with each item of the array that starts here; `body` must consume it.
    mutating func items(_ body: (inout JSONSkimmer) throws -> Void) throws {
        try expect(UInt8(ascii: "["), "a list")
        if peek() == UInt8(ascii: "]") { index += 1; return }
        while true {
            try body(&self)
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return
            default: throw failure("expected ',' or ']' in a list")
            }
        }
    }

    /// Reads a string value, or skips any other value and answers nil (a null, a number).
    mutating func stringValue() throws -> String? {
        if peek() == UInt8(ascii: "\"") { return try readString() }
        try skipValue()
        return nil
    }

    /// Reads a string, a number or a boolean as its text; skips anything else and answers nil.
    mutating func scalarText() throws -> String? {
        guard let first = peek() else { throw failure("expected a value") }
        if first == UInt8(ascii: "\"") { return try readString() }
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") || first == UInt8(ascii: "n") {
            try skipValue()
            return nil
        }
        let range = try valueRange()
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// Skips the value that starts here, returning where it lay.
    @discardableResult
    mutating func valueRange() throws -> Range<Int> {
        guard let first = peek() else { throw failure("expected a value") }
        let start = index
        switch first {
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            try skipContainer()
        default:
            // A number or literal: up to the next delimiter.
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]")
                    || byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { break }
                index += 1
            }
            if index == start { throw failure("expected a value") }
            let text = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
            if !(text.elementsEqual("true".utf8) || text.elementsEqual("false".utf8) || text.elementsEqual("null".utf8)) {
                let numeric = text.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-")
                    || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
                guard numeric, let first = text.first, first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
                    index = start
                    throw failure("expected a value")
                }
            }
        }
        return start..<index
    }

    /// Skips the value that starts here.
    mutating func skipValue() throws { try valueRange() }

    private mutating func skipString() throws {
        guard let quote = Self.closingQuote(in: bytes, from: index + 1).quote else {
            index = bytes.count
            throw failure("unterminated string")
        }
        index = quote + 1
    }

    /// Where a string whose content starts at `from` ends: the index of its closing quote, or
    /// nil when the bytes end first, and then whether they end inside an escape (an odd run of
    /// backslashes). Found with `memchr`, backslashes counted back from each quote: most of a
    /// CloudTrail record's bytes are inside strings.
    @inline(__always)
    static func closingQuote(in bytes: UnsafeRawBufferPointer, from: Int) -> (quote: Int?, pendingEscape: Bool) {
        guard let base = bytes.baseAddress else { return (nil, false) }
        func backslashes(before end: Int) -> Int {
            var count = 0
            var index = end - 1
            while index >= from && bytes[index] == UInt8(ascii: "\\") {
                count += 1
                index -= 1
            }
            return count
        }
        var index = from
        while index < bytes.count {
            guard let found = memchr(base + index, Int32(UInt8(ascii: "\"")), bytes.count - index) else { break }
            let quote = UnsafeRawPointer(found) - base
            if backslashes(before: quote) % 2 == 0 { return (quote, false) }
            index = quote + 1
        }
        return (nil, backslashes(before: bytes.count) % 2 == 1)
    }

    private mutating func skipContainer() throws {
        var depth = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                try skipString()
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { index += 1; return }
            default:
                break
            }
            index += 1
        }
        throw failure("unterminated object or list")
    }

    /// Reads the string that starts here, unescaping it.
    mutating func readString() throws -> String {
        let start = index + 1
        guard let quote = Self.closingQuote(in: bytes, from: start).quote else {
            index = bytes.count
            throw failure("unterminated string")
        }
        index = quote + 1
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<quote])
        let plain = !raw.contains(UInt8(ascii: "\\"))
        return plain ? String(decoding: raw, as: UTF8.self) : try Self.unescape(raw, at: start)
    }

    private static func unescape(_ raw: UnsafeRawBufferPointer, at offset: Int) throws -> String {
        var out: [UInt8] = []
        do {
            try JSONEscape.unescape(raw, into: &out, halfSurrogates: .replace)
        } catch {
            throw Failure(reason: error.reason, offset: offset + error.offset)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
