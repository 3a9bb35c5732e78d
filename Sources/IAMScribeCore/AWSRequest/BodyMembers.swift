#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// Reads the top-level members of request bodies (JSON, CBOR, XML), without building a tree.
///
/// Only names and short scalar values come out: a nested value (object, array, map) is reported
/// present with no value, and a value over ``maximumValueBytes`` likewise. Malformed input ends
/// the reading with what was read so far.
enum BodyMembers {
    /// Values longer than this are reported present without their value.
    static let maximumValueBytes = 2048

    /// A top-level member: its name, and its value when it is a short scalar.
    typealias Member = (name: String, value: String?)

    // MARK: - JSON

    /// The members of a JSON object.
    ///
    /// - Parameters:
    ///   - bytes: The object.
    ///   - wanted: When given, only members with these names (lowercased) come out, and the
    ///     others cost no string.
    static func json(_ bytes: UnsafeRawBufferPointer, wanted: [[UInt8]]? = nil) -> [Member] {
        var reader = JSONReader(bytes: bytes, wanted: wanted)
        return reader.members()
    }

    private struct JSONReader {
        let bytes: UnsafeRawBufferPointer
        let wanted: [[UInt8]]?
        var index = 0

        /// Whether the key just read (between `start` and `end`, unescaped) is wanted.
        func isWanted(_ start: Int, _ end: Int) -> Bool {
            guard let wanted else { return true }
            let key = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            return wanted.contains { name in
                name.count == key.count && zip(name, key).allSatisfy { $0 == HTTPBytes.lower($1) }
            }
        }

        mutating func members() -> [Member] {
            var members: [Member] = []
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return [] }
            index += 1
            while true {
                skipSpace()
                guard index < bytes.count else { return members }
                if bytes[index] == UInt8(ascii: "}") { return members }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                guard bytes[index] == UInt8(ascii: "\"") else { return members }
                let keyStart = index + 1
                guard let rawName = string(keep: false) else { return members }
                let keep = isWanted(keyStart, index - 1)
                let name = keep ? (rawName.isEmpty ? String(decoding: UnsafeRawBufferPointer(rebasing: bytes[keyStart..<(index - 1)]), as: UTF8.self) : rawName) : ""
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return members }
                index += 1
                skipSpace()
                guard index < bytes.count else { return members }
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    let start = index
                    guard let value = string(keep: keep) else { return members }
                    if keep { members.append((name, index - start <= maximumValueBytes ? value : nil)) }
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    guard skipNested() else { return members }
                    if keep { members.append((name, nil)) }
                default:
                    let start = index
                    while index < bytes.count, !",}] \t\r\n".utf8.contains(bytes[index]) { index += 1 }
                    guard keep else { continue }
                    let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                    // null is an absent member, as the SDKs treat it.
                    if text != "null" { members.append((name, text)) }
                }
            }
        }

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
                index += 1
            }
        }

        /// Reads a string at `index` (its opening quote); nil when unterminated.
        mutating func string(keep: Bool) -> String? {
            index += 1
            let start = index
            var escaped = false
            // Most strings have no escapes: the closing quote is found with memchr, and only a
            // string with a backslash before it is walked byte by byte.
            if let base = bytes.baseAddress, index < bytes.count,
               let quote = memchr(base + index, Int32(UInt8(ascii: "\"")), bytes.count - index) {
                let end = base.distance(to: UnsafeRawPointer(quote))
                if memchr(base + index, Int32(UInt8(ascii: "\\")), end - index) == nil {
                    let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                    index = end + 1
                    return keep ? String(decoding: raw, as: UTF8.self) : ""
                }
            }
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\\") {
                    escaped = true
                    index += 2
                    continue
                }
                if byte == UInt8(ascii: "\"") {
                    let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                    index += 1
                    guard keep else { return "" }
                    return escaped ? (JSONText.unescape(raw) ?? String(decoding: raw, as: UTF8.self)) : String(decoding: raw, as: UTF8.self)
                }
                index += 1
            }
            return nil
        }

        /// Skips an object or array at `index`; false when it does not end.
        mutating func skipNested() -> Bool {
            var depth = 0
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                    index += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    index += 1
                    if depth == 0 { return true }
                case UInt8(ascii: "\""):
                    guard string(keep: false) != nil else { return false }
                default:
                    index += 1
                }
            }
            return false
        }
    }

    // MARK: - CBOR

    /// The members of a CBOR map whose keys are text strings (Smithy RPC v2 CBOR).
    static func cbor(_ bytes: UnsafeRawBufferPointer) -> [Member] {
        var reader = CBORReader(bytes: bytes)
        return reader.members()
    }

    private struct CBORReader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        mutating func members() -> [Member] {
            guard let (major, count) = head(), major == 5 else { return [] }
            var members: [Member] = []
            var remaining = count ?? Int.max
            while remaining > 0, index < bytes.count {
                if count == nil, bytes[index] == 0xFF { break }
                guard let key = text() else { return members }
                let valueStart = index
                guard let (major, length) = head() else { return members }
                if major == 3, let length, length <= maximumValueBytes, index + length <= bytes.count {
                    members.append((key, String(decoding: UnsafeRawBufferPointer(rebasing: bytes[index..<(index + length)]), as: UTF8.self)))
                    index += length
                } else if major == 0, let length {
                    members.append((key, String(length)))
                } else {
                    index = valueStart
                    guard skip(depth: 0) else { return members }
                    members.append((key, nil))
                }
                remaining -= 1
            }
            return members
        }

        /// Reads an item head: its major type and argument (nil: indefinite length).
        mutating func head() -> (Int, Int?)? {
            guard index < bytes.count else { return nil }
            let initial = bytes[index]
            index += 1
            let major = Int(initial >> 5)
            let info = initial & 0x1F
            switch info {
            case 0..<24: return (major, Int(info))
            case 24...27:
                let size = 1 << Int(info - 24)
                guard index + size <= bytes.count else { return nil }
                var value: UInt64 = 0
                for offset in 0..<size { value = value << 8 | UInt64(bytes[index + offset]) }
                index += size
                guard value <= UInt64(Int.max) else { return nil }
                return (major, Int(value))
            case 31: return (major, nil)
            default: return nil
            }
        }

        mutating func text() -> String? {
            guard let (major, length) = head(), major == 3, let length, index + length <= bytes.count else { return nil }
            defer { index += length }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[index..<(index + length)]), as: UTF8.self)
        }

        mutating func skip(depth: Int) -> Bool {
            guard depth < 32, let (major, argument) = head() else { return false }
            switch major {
            case 0, 1, 7: return true
            case 2, 3:
                if let argument {
                    guard index + argument <= bytes.count else { return false }
                    index += argument
                    return true
                }
                while index < bytes.count, bytes[index] != 0xFF { guard skip(depth: depth + 1) else { return false } }
                index += 1
                return index <= bytes.count
            case 4, 5:
                let items = major == 5 ? argument.map { $0 * 2 } : argument
                if let items {
                    for _ in 0..<items { guard skip(depth: depth + 1) else { return false } }
                    return true
                }
                while index < bytes.count, bytes[index] != 0xFF { guard skip(depth: depth + 1) else { return false } }
                index += 1
                return index <= bytes.count
            case 6: return skip(depth: depth + 1)
            default: return false
            }
        }
    }

    // MARK: - XML

    /// The text of the first element called `name`, or "" when it has child elements; nil when
    /// there is no such element.
    static func xmlElement(_ bytes: UnsafeRawBufferPointer, named name: String) -> String? {
        let open = Array("<\(name)".utf8)
        guard bytes.count > open.count else { return nil }
        var start = 0
        while start + open.count < bytes.count {
            guard let found = firstIndex(of: open, in: bytes, from: start) else { return nil }
            let after = found + open.count
            guard after < bytes.count else { return nil }
            let next = bytes[after]
            guard next == UInt8(ascii: ">") || next == 0x20 || next == UInt8(ascii: "/") else {
                start = found + 1
                continue
            }
            guard let close = bytes[after...].firstIndex(of: UInt8(ascii: ">")) else { return nil }
            if bytes[close - 1] == UInt8(ascii: "/") { return "" }
            let textStart = close + 1
            let textEnd = bytes[textStart...].firstIndex(of: UInt8(ascii: "<")) ?? bytes.count
            let closing = Array("</\(name)>".utf8)
            guard textEnd - textStart <= maximumValueBytes, firstIndex(of: closing, in: bytes, from: textEnd) == textEnd else {
                return ""
            }
            return XMLText.unescape(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[textStart..<textEnd]), as: UTF8.self))
        }
        return nil
    }

    /// The JSON string value after a key that ends just before `index` (`"Key"` then `: "value"`),
    /// unescaped; nil when what follows is not a string.
    static func jsonString(after index: Int, in bytes: UnsafeRawBufferPointer) -> String? {
        var index = index
        func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
                index += 1
            }
        }
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
        index += 1
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        let start = index + 1
        var end = start
        var escaped = false
        while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
            if bytes[end] == UInt8(ascii: "\\") { escaped = true; end += 1 }
            end += 1
        }
        guard end < bytes.count, end - start <= maximumValueBytes else { return nil }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        return escaped ? JSONText.unescape(raw) : String(decoding: raw, as: UTF8.self)
    }

    static func firstIndex(of needle: [UInt8], in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let first = needle.first, let base = bytes.baseAddress, needle.count <= bytes.count else { return nil }
        var index = start
        while index + needle.count <= bytes.count {
            // memchr finds each candidate for the first byte; the rest is compared there.
            guard let found = memchr(base + index, Int32(first), bytes.count - needle.count + 1 - index) else { return nil }
            index = base.distance(to: UnsafeRawPointer(found))
            let candidate = UnsafeRawBufferPointer(rebasing: bytes[index..<(index + needle.count)])
            if needle.withUnsafeBytes({ HTTPBytes.equal($0, candidate) }) { return index }
            index += 1
        }
        return nil
    }
}

/// XML's five predefined entities.
enum XMLText {
    static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacing("&lt;", with: "<").replacing("&gt;", with: ">")
            .replacing("&quot;", with: "\"").replacing("&apos;", with: "'")
            .replacing("&amp;", with: "&")
    }
}
