/// The escapes of a JSON string (`\n`, `\"`, `\u00e9`, surrogate pairs), decoded in one place for
/// every reader: the strict policy parser (`JSONValue.parse`), ``JSONText/unescape(_:)`` (CSM
/// events, request bodies, the session journal) and CloudTrail's `JSONSkimmer`.
///
/// Readers find a string's end themselves and call this only for a string that holds a backslash,
/// so a string without escapes costs nothing here.
enum JSONEscape {
    /// What half of a surrogate pair on its own (`\ud800` not followed by its low half, or a low
    /// half alone) means.
    enum HalfSurrogates {
        /// An error: the strict parser's policies must say what they mean.
        case reject
        /// U+FFFD, the replacement character: what clients sent is read as far as it goes.
        case replace
    }

    /// A malformed escape, and where its backslash is (an offset in the bytes given).
    struct Failure: Error {
        let reason: String
        let offset: Int
    }

    /// Decodes the escape whose backslash is at `start` and appends its UTF-8 to `output`.
    ///
    /// - Returns: The offset just after the escape (after both halves of a surrogate pair).
    static func decode<Bytes: RandomAccessCollection<UInt8>>(
        _ bytes: Bytes, at start: Int, into output: inout [UInt8], halfSurrogates: HalfSurrogates
    ) throws(Failure) -> Int where Bytes.Index == Int {
        guard start + 1 < bytes.endIndex else { throw Failure(reason: "a string ends inside an escape", offset: start) }
        let escaped = bytes[start + 1]
        switch escaped {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(escaped)
        case UInt8(ascii: "b"): output.append(0x08)
        case UInt8(ascii: "f"): output.append(0x0C)
        case UInt8(ascii: "n"): output.append(0x0A)
        case UInt8(ascii: "r"): output.append(0x0D)
        case UInt8(ascii: "t"): output.append(0x09)
        case UInt8(ascii: "u"):
            var value = try hexQuad(bytes, at: start + 2, escape: start)
            var end = start + 6
            if (0xD800...0xDBFF).contains(value) {
                if end + 1 < bytes.endIndex, bytes[end] == UInt8(ascii: "\\"), bytes[end + 1] == UInt8(ascii: "u"),
                   case let low = try hexQuad(bytes, at: end + 2, escape: end), (0xDC00...0xDFFF).contains(low) {
                    value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                    end += 6
                } else if halfSurrogates == .reject {
                    throw Failure(reason: "a \\u escape holds half of a surrogate pair", offset: start)
                } else {
                    value = 0xFFFD
                }
            } else if (0xDC00...0xDFFF).contains(value) {
                guard halfSurrogates == .replace else {
                    throw Failure(reason: "a \\u escape holds half of a surrogate pair", offset: start)
                }
                value = 0xFFFD
            }
            appendUTF8(value, to: &output)
            return end
        default:
            throw Failure(reason: "'\\\(Character(Unicode.Scalar(escaped)))' is not a JSON escape", offset: start)
        }
        return start + 2
    }

    /// Appends the content of a JSON string (the bytes between its quotes) to `output` with its
    /// escapes decoded.
    static func unescape(
        _ bytes: UnsafeRawBufferPointer, into output: inout [UInt8], halfSurrogates: HalfSurrogates
    ) throws(Failure) {
        output.reserveCapacity(output.count + bytes.count)
        var index = 0
        var runStart = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
            index = try decode(bytes, at: index, into: &output, halfSurrogates: halfSurrogates)
            runStart = index
        }
        output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<bytes.count]))
    }

    /// The four hexadecimal digits of a `\u` escape, at `start`.
    private static func hexQuad<Bytes: RandomAccessCollection<UInt8>>(
        _ bytes: Bytes, at start: Int, escape: Int
    ) throws(Failure) -> UInt32 where Bytes.Index == Int {
        guard start + 4 <= bytes.endIndex else {
            throw Failure(reason: "a \\u escape needs four hexadecimal digits", offset: escape)
        }
        var value: UInt32 = 0
        for offset in start..<(start + 4) {
            let byte = bytes[offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte &- UInt8(ascii: "A") &+ 10
            default: throw Failure(reason: "a \\u escape needs four hexadecimal digits", offset: escape)
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// Appends a scalar value (not a surrogate) as UTF-8.
    private static func appendUTF8(_ value: UInt32, to output: inout [UInt8]) {
        switch value {
        case ..<0x80:
            output.append(UInt8(value))
        case ..<0x800:
            output.append(UInt8(0xC0 | value >> 6))
            output.append(UInt8(0x80 | value & 0x3F))
        case ..<0x10000:
            output.append(UInt8(0xE0 | value >> 12))
            output.append(UInt8(0x80 | value >> 6 & 0x3F))
            output.append(UInt8(0x80 | value & 0x3F))
        default:
            output.append(UInt8(0xF0 | value >> 18))
            output.append(UInt8(0x80 | value >> 12 & 0x3F))
            output.append(UInt8(0x80 | value >> 6 & 0x3F))
            output.append(UInt8(0x80 | value & 0x3F))
        }
    }
}
