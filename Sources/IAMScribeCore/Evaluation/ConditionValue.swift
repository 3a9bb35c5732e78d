#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// Reading the typed values conditions compare: numbers, dates, booleans and IP ranges.
enum ConditionValue {
    static func number(_ text: String) -> Double? {
        Double(text.trimmingWhitespace())
    }

    /// An ISO 8601 date or time (`2026-01-31`, `2026-01-31T12:00:00Z`, with fractions or an
    /// offset), or seconds since 1970.
    static func date(_ text: String) -> Date? {
        let text = text.trimmingWhitespace()
        if let seconds = Double(text) { return Date(timeIntervalSince1970: seconds) }
        let styles: [Date.ISO8601FormatStyle] = [
            .init(),
            .init(includingFractionalSeconds: true),
            .init().year().month().day(),
        ]
        for style in styles {
            if let date = try? style.parse(text) { return date }
        }
        return nil
    }

    static func bool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true": true
        case "false": false
        default: nil
        }
    }

    /// An IPv4 or IPv6 network: address bytes and prefix length (a bare address is a /32 or /128).
    struct Network: Sendable, Hashable {
        let bytes: [UInt8]
        let prefixLength: Int

        init?(_ text: String) {
            let parts = text.trimmingWhitespace().split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2, let bytes = Self.address(String(parts[0])) else { return nil }
            let length: Int
            if parts.count == 2 {
                guard let parsed = Int(parts[1]), parsed >= 0, parsed <= bytes.count * 8 else { return nil }
                length = parsed
            } else {
                length = bytes.count * 8
            }
            self.bytes = bytes
            self.prefixLength = length
        }

        func contains(_ other: Network) -> Bool {
            guard other.bytes.count == bytes.count else { return false }
            var remaining = prefixLength
            for index in bytes.indices where remaining > 0 {
                let bits = min(8, remaining)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if bytes[index] & mask != other.bytes[index] & mask { return false }
                remaining -= bits
            }
            return true
        }

        private static func address(_ text: String) -> [UInt8]? {
            var v4 = in_addr()
            if inet_pton(AF_INET, text, &v4) == 1 {
                return withUnsafeBytes(of: &v4) { Array($0) }
            }
            var v6 = in6_addr()
            if inet_pton(AF_INET6, text, &v6) == 1 {
                return withUnsafeBytes(of: &v6) { Array($0) }
            }
            return nil
        }
    }
}
