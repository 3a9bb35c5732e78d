import Foundation

/// The head of one HTTP/1.x message, as a view over bytes the parser owns.
///
/// Valid only during the parser's callback: it points into the parser's buffer or the packet.
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
        var indexes: (Int32, Int32, Int32, Int32, Int32, Int32) = (-1, -1, -1, -1, -1, -1)

        /// Notes the field at `index` when it is the first of its name.
        @inline(__always)
        mutating func note(_ field: CommonField, at index: Int) {
            withUnsafeMutableBytes(of: &indexes) { indexes in
                let slots = indexes.bindMemory(to: Int32.self)
                if slots[field.rawValue] < 0 { slots[field.rawValue] = Int32(index) }
            }
        }

        @inline(__always)
        func index(of field: CommonField) -> Int? {
            let index = withUnsafeBytes(of: indexes) { $0.bindMemory(to: Int32.self)[field.rawValue] }
            return index < 0 ? nil : Int(index)
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

/// Byte helpers shared by the HTTP parser and the AWS decoder.
enum HTTPBytes {
    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 {
        ASCII.lower(byte)
    }

    /// Whether two byte ranges hold the same bytes.
    @inline(__always)
    static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard let left = a.baseAddress, let right = b.baseAddress else { return true }
        return memcmp(left, right, a.count) == 0
    }

    static func equalsIgnoringCase(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        for index in 0..<a.count where lower(a[index]) != lower(b[index]) { return false }
        return true
    }

    static func hasPrefix(_ bytes: UnsafeRawBufferPointer, _ prefix: StaticString, ignoringCase: Bool = false) -> Bool {
        prefix.withUTF8Buffer { prefix in
            guard bytes.count >= prefix.count else { return false }
            for index in 0..<prefix.count {
                let byte = bytes[index]
                if ignoringCase ? lower(byte) != lower(prefix[index]) : byte != prefix[index] { return false }
            }
            return true
        }
    }

    /// Whether `bytes` contains `token` case-insensitively.
    static func contains(_ bytes: UnsafeRawBufferPointer, _ token: StaticString) -> Bool {
        token.withUTF8Buffer { token in
            guard token.count <= bytes.count, token.count > 0 else { return token.count == 0 }
            for start in 0...(bytes.count - token.count) {
                var matched = true
                for index in 0..<token.count where lower(bytes[start + index]) != lower(token[index]) {
                    matched = false
                    break
                }
                if matched { return true }
            }
            return false
        }
    }

    /// A decimal number, or nil when the bytes are not one (or it is too large).
    static func decimal(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 15 else { return nil }
        var value = 0
        for byte in bytes {
            guard byte &- 0x30 < 10 else { return nil }
            value = value * 10 + Int(byte &- 0x30)
        }
        return value
    }

    /// Whether the bytes start with a request method iamscribe knows, followed by a space.
    static func startsWithMethod(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 4 else { return false }
        switch bytes[0] {
        case UInt8(ascii: "G"): return hasPrefix(bytes, "GET ")
        case UInt8(ascii: "P"): return hasPrefix(bytes, "PUT ") || hasPrefix(bytes, "POST ") || hasPrefix(bytes, "PATCH ")
        case UInt8(ascii: "H"): return hasPrefix(bytes, "HEAD ")
        case UInt8(ascii: "D"): return hasPrefix(bytes, "DELETE ")
        case UInt8(ascii: "O"): return hasPrefix(bytes, "OPTIONS ")
        default: return false
        }
    }

    /// Trims spaces and tabs at both ends of a range.
    @inline(__always)
    static func trim(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound, upper = range.upperBound
        while lower < upper, bytes[lower] == 0x20 || bytes[lower] == 0x09 { lower += 1 }
        while upper > lower, bytes[upper - 1] == 0x20 || bytes[upper - 1] == 0x09 { upper -= 1 }
        return lower..<upper
    }
}
