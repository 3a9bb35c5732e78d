#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The condition keys a request carries, as far as the capture tells.
///
/// Each key is in one of three states: present with values, known to be absent, or unknown. Only
/// the first two settle a condition; an unknown key makes it "depend on" the key. Keys are matched
/// case-insensitively, as IAM does.
public struct RequestContext: Sendable, Hashable {
    /// What the context says of one key.
    public enum Value: Sendable, Hashable {
        /// The request carries the key with these values (one for a single-valued key).
        case present([String])
        /// The request is known not to carry the key.
        case absent
        /// The capture does not tell.
        case unknown
    }

    private var values: [String: Value] = [:]

    /// Creates a context that knows nothing.
    public init() {}

    /// The context an observed call gives: the region it went to and the time it was made.
    ///
    /// - Parameters:
    ///   - region: `aws:RequestedRegion`, when known.
    ///   - time: `aws:CurrentTime` and `aws:EpochTime`.
    public init(region: String?, time: Date?) {
        if let region { set("aws:RequestedRegion", to: [region]) }
        if let time {
            set("aws:CurrentTime", to: [Date.ISO8601FormatStyle().format(time)])
            set("aws:EpochTime", to: [String(Int64(time.timeIntervalSince1970.rounded(.down)))])
        }
    }

    /// Records the values of a key (replacing what was known).
    public mutating func set(_ key: String, to values: [String]) {
        self.values[key.lowercased()] = .present(values)
    }

    /// Records that the request does not carry a key.
    public mutating func setAbsent(_ key: String) {
        values[key.lowercased()] = .absent
    }

    /// What the context says of a key.
    public func value(of key: String) -> Value {
        values[key.lowercased()] ?? .unknown
    }

    /// The keys the context knows something of (lowercased), sorted.
    public var knownKeys: [String] { values.keys.sorted() }
}
