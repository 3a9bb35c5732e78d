#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// Byte helpers shared by the capture's HTTP parser and the AWS request stage.
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
