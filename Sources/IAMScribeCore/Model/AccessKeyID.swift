/// An AWS access key id: kept whole for attribution, never shown whole.
///
/// Its `description` is redacted (`AKIA…MPLE`), so interpolating it into a message or log line
/// cannot leak it. The whole value is written only to session journals, which are mode 0600.
public struct AccessKeyID: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The whole key id. Use ``redacted`` to show it.
    public let value: String

    /// Creates a key id.
    public init(_ value: String) { self.value = value }

    /// The first four and last four characters, the rest elided.
    public var redacted: String {
        guard value.count > 8 else { return String(repeating: "*", count: value.count) }
        return "\(value.prefix(4))…\(value.suffix(4))"
    }

    public var description: String { redacted }

    /// The 12-digit account the key belongs to, decoded from the key id; nil when the id does not
    /// encode one.
    ///
    /// Since about 2019 an AWS key id (`AKIA…` long-term, `ASIA…` temporary) carries its account:
    /// the characters after the four-letter prefix are base32 (RFC 4648), and the first 48 bits
    /// they decode to hold a flag bit, then the account id in 40 bits, then 7 more bits (the
    /// account is `(bits & 0x7fff_ffff_ff80) >> 7`). Older key ids (a fifth character `A`…`O`,
    /// as in the documentation's `AKIAIOSFODNN7EXAMPLE`) have the flag bit clear and encode no
    /// account: they give nil, so that no wrong account enters an ARN.
    public var accountID: String? {
        let scalars = Array(value.utf8)
        guard scalars.count >= 16, scalars.count <= 128,
              scalars.starts(with: Array("AKIA".utf8)) || scalars.starts(with: Array("ASIA".utf8)) else { return nil }
        // 10 base32 characters give 50 bits; the first 48 are the ones that count.
        var bits: UInt64 = 0
        for byte in scalars[4..<14] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): digit = byte - UInt8(ascii: "A")
            case UInt8(ascii: "2")...UInt8(ascii: "7"): digit = byte - UInt8(ascii: "2") + 26
            default: return nil
            }
            bits = bits << 5 | UInt64(digit)
        }
        let first48 = bits >> 2
        guard first48 & (1 << 47) != 0 else { return nil }
        let account = (first48 & 0x7fff_ffff_ff80) >> 7
        guard account < 1_000_000_000_000 else { return nil }
        let digits = String(account)
        return String(repeating: "0", count: 12 - digits.count) + digits
    }

    /// Whether `text` is a 12-digit account id.
    public static func isAccountID(_ text: String) -> Bool {
        text.utf8.count == 12 && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    public init(from decoder: any Decoder) throws {
        value = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
