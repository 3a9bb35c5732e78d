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

    public init(from decoder: any Decoder) throws {
        value = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
