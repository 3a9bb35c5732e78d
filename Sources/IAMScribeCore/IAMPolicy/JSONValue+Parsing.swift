#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension JSONValue {
    /// How deep arrays and objects may nest. A policy document needs 6 levels (8 inside the
    /// output of `aws iam get-policy-version`); more is either a mistake or an attack.
    static let maximumDepth = 64

    /// One step from a value to one inside it.
    enum PathComponent: Sendable, Hashable {
        /// An object member.
        case key(String)
        /// A list item, from 0.
        case index(Int)
    }

    /// A key written twice in one object.
    struct DuplicateKey: Sendable, Hashable {
        /// The object's place in the document.
        let path: [PathComponent]
        /// The key.
        let key: String
    }

    /// Why a text is not JSON iamscribe reads, and where.
    struct ParseError: Error, Sendable, CustomStringConvertible {
        enum Kind: Sendable {
            /// Not JSON.
            case syntax
            /// Nested deeper than ``JSONValue/maximumDepth``.
            case tooDeep
        }

        let kind: Kind
        let reason: String
        let line: Int
        let column: Int

        var description: String { "line \(line), column \(column): \(reason)" }
    }

    /// Parses JSON text strictly: RFC 8259, UTF-8, nesting at most ``maximumDepth`` levels, in
    /// time linear in the text's length.
    ///
    /// `JSONDecoder` keeps the first of two equal keys where jq and Python keep the last, so a
    /// policy with `"Effect": "Allow", "Effect": "Deny"` means different things to different
    /// tools: the first duplicate key is returned for the caller to refuse. The value holds the
    /// last one.
    ///
    /// - Parameter data: The text.
    /// - Returns: The value, and the first duplicate key in document order, if any.
    /// - Throws: ``ParseError``.
    static func parse(_ data: Data) throws -> (value: JSONValue, duplicate: DuplicateKey?) {
        var parser = StrictParser(bytes: [UInt8](data))
        return try parser.parseDocument()
    }
}

/// A recursive descent parser; the recursion is at most ``JSONValue/maximumDepth`` deep.
private struct StrictParser {
    let bytes: [UInt8]
    var index = 0
    var depth = 0
    /// Where the value being parsed is; kept only to name the place of a duplicate key.
    var path: [JSONValue.PathComponent] = []
    var duplicate: JSONValue.DuplicateKey?

    init(bytes: [UInt8]) {
        self.bytes = bytes
        // A UTF-8 byte order mark, as some editors write.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    mutating func parseDocument() throws -> (value: JSONValue, duplicate: JSONValue.DuplicateKey?) {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw error("unexpected text after the end of the document") }
        return (value, duplicate)
    }

    private mutating func parseValue() throws -> JSONValue {
        guard index < bytes.count else { throw error("unexpected end of the text; expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try parseLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try parseLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try parseLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("expected a value (an object, list, string, number, true, false or null)")
        }
    }

    private mutating func enter() throws {
        depth += 1
        if depth > JSONValue.maximumDepth {
            throw error("lists and objects nest deeper than \(JSONValue.maximumDepth) levels", kind: .tooDeep)
        }
    }

    private mutating func parseObject() throws -> JSONValue {
        try enter()
        index += 1
        var object: [String: JSONValue] = [:]
        skipWhitespace()
        if peek(UInt8(ascii: "}")) {
            index += 1
            depth -= 1
            return .object(object)
        }
        while true {
            guard peek(UInt8(ascii: "\"")) else { throw error("expected a key in quotes") }
            let key = try parseString()
            skipWhitespace()
            guard peek(UInt8(ascii: ":")) else { throw error("expected ':' after the key") }
            index += 1
            skipWhitespace()
            path.append(.key(key))
            let value = try parseValue()
            path.removeLast()
            if object.updateValue(value, forKey: key) != nil, duplicate == nil {
                duplicate = JSONValue.DuplicateKey(path: path, key: key)
            }
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of the text; expected ',' or '}'") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                skipWhitespace()
                continue
            }
            guard bytes[index] == UInt8(ascii: "}") else { throw error("expected ',' or '}'") }
            index += 1
            depth -= 1
            return .object(object)
        }
    }

    private mutating func parseArray() throws -> JSONValue {
        try enter()
        index += 1
        var array: [JSONValue] = []
        skipWhitespace()
        if peek(UInt8(ascii: "]")) {
            index += 1
            depth -= 1
            return .array(array)
        }
        while true {
            path.append(.index(array.count))
            array.append(try parseValue())
            path.removeLast()
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of the text; expected ',' or ']'") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                skipWhitespace()
                continue
            }
            guard bytes[index] == UInt8(ascii: "]") else { throw error("expected ',' or ']'") }
            index += 1
            depth -= 1
            return .array(array)
        }
    }

    private mutating func parseString() throws -> String {
        let start = index
        index += 1
        // Escapes are decoded into `decoded`; a string without any is taken from the text as is.
        var decoded: [UInt8] = []
        var escaped = false
        var runStart = index
        while true {
            guard index < bytes.count else {
                index = start
                throw error("a string is not closed")
            }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { break }
            if byte < 0x20 { throw error("a control character (0x\(String(byte, radix: 16))) in a string must be escaped") }
            if byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            decoded.append(contentsOf: bytes[runStart..<index])
            try appendEscape(to: &decoded)
            escaped = true
            runStart = index
        }
        let text: String?
        if escaped {
            decoded.append(contentsOf: bytes[runStart..<index])
            text = String(validating: decoded, as: UTF8.self)
        } else {
            text = String(validating: bytes[runStart..<index], as: UTF8.self)
        }
        guard let text else {
            index = start
            throw error("a string is not valid UTF-8")
        }
        index += 1
        return text
    }

    /// Decodes the escape at `index` (a backslash) into UTF-8 (``JSONEscape``, half surrogates refused).
    private mutating func appendEscape(to buffer: inout [UInt8]) throws(JSONValue.ParseError) {
        do {
            index = try JSONEscape.decode(bytes, at: index, into: &buffer, halfSurrogates: .reject)
        } catch {
            index = error.offset
            throw self.error(error.reason)
        }
    }

    private mutating func parseNumber() throws -> JSONValue {
        let start = index
        if peek(UInt8(ascii: "-")) { index += 1 }
        if peek(UInt8(ascii: "0")) {
            index += 1
        } else {
            guard digits() > 0 else { throw error("a number needs digits") }
        }
        if peek(UInt8(ascii: ".")) {
            index += 1
            guard digits() > 0 else { throw error("a number needs digits after '.'") }
        }
        if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
            index += 1
            if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { index += 1 }
            guard digits() > 0 else { throw error("a number needs digits in its exponent") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        // The forms JSONDecoder gave: an integer as itself, other numbers as Double shows them.
        if let value = Int64(text) { return .number(String(value)) }
        guard let value = Double(text), value.isFinite else {
            index = start
            throw error("the number \(text.prefix(40)) is out of range")
        }
        return .number(value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value))
    }

    private mutating func digits() -> Int {
        let start = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        return index - start
    }

    private mutating func parseLiteral(_ word: StaticString, _ value: JSONValue) throws -> JSONValue {
        let count = word.utf8CodeUnitCount
        let matches = word.withUTF8Buffer { expected in
            index + count <= bytes.count && bytes[index..<(index + count)].elementsEqual(expected)
        }
        guard matches else { throw error("expected a value (an object, list, string, number, true, false or null)") }
        index += count
        return value
    }

    private func peek(_ byte: UInt8) -> Bool {
        index < bytes.count && bytes[index] == byte
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// An error at `index`, with its line and column (counted once, on failing).
    private func error(_ reason: String, kind: JSONValue.ParseError.Kind = .syntax) -> JSONValue.ParseError {
        let end = min(index, bytes.count)
        var line = 1, lineStart = 0
        for position in 0..<end where bytes[position] == 0x0A {
            line += 1
            lineStart = position + 1
        }
        let column = String(decoding: bytes[lineStart..<end], as: UTF8.self).count + 1
        return JSONValue.ParseError(kind: kind, reason: reason, line: line, column: column)
    }
}
