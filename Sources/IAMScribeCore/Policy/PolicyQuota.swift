/// A size limit IAM puts on policies, counted as ``PolicyDocument/quotaSize`` counts: characters,
/// white space outside strings not counted.
public struct PolicyQuota: Sendable, Hashable, CustomStringConvertible {
    /// What the quota limits, for people: `managed policy`, `inline policies of a role`.
    public let name: String
    /// The most characters a policy may have.
    public let limit: Int

    /// Creates a quota.
    public init(name: String, limit: Int) {
        self.name = name
        self.limit = limit
    }

    /// One managed policy: 6,144 characters.
    public static let managedPolicy = PolicyQuota(name: "managed policy", limit: 6144)
    /// All the inline policies of one role together: 10,240 characters.
    public static let inlineRole = PolicyQuota(name: "inline policies of a role", limit: 10_240)
    /// All the inline policies of one group together: 5,120 characters.
    public static let inlineGroup = PolicyQuota(name: "inline policies of a group", limit: 5120)
    /// All the inline policies of one user together: 2,048 characters.
    public static let inlineUser = PolicyQuota(name: "inline policies of a user", limit: 2048)

    /// Every quota a policy document is checked against, largest first.
    public static let all: [PolicyQuota] = [.inlineRole, .managedPolicy, .inlineGroup, .inlineUser]

    /// `managed policy (6,144)`.
    public var description: String { "\(name) (\(Self.grouped(limit)))" }

    /// A count with thousands separated by commas: `6144` as `6,144`.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return value < 0 ? "-" + out : out
    }
}

extension PolicyDocument {
    /// The quotas the document is over, largest first; empty when it fits them all.
    public var exceededQuotas: [PolicyQuota] {
        let size = quotaSize
        return PolicyQuota.all.filter { size > $0.limit }
    }
}
