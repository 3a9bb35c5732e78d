/// The condition operators of the IAM policy language, without their `IfExists` and set forms.
enum ConditionOperator: String, Sendable, Hashable, CaseIterable {
    case stringEquals = "StringEquals"
    case stringNotEquals = "StringNotEquals"
    case stringEqualsIgnoreCase = "StringEqualsIgnoreCase"
    case stringNotEqualsIgnoreCase = "StringNotEqualsIgnoreCase"
    case stringLike = "StringLike"
    case stringNotLike = "StringNotLike"
    case numericEquals = "NumericEquals"
    case numericNotEquals = "NumericNotEquals"
    case numericLessThan = "NumericLessThan"
    case numericLessThanEquals = "NumericLessThanEquals"
    case numericGreaterThan = "NumericGreaterThan"
    case numericGreaterThanEquals = "NumericGreaterThanEquals"
    case dateEquals = "DateEquals"
    case dateNotEquals = "DateNotEquals"
    case dateLessThan = "DateLessThan"
    case dateLessThanEquals = "DateLessThanEquals"
    case dateGreaterThan = "DateGreaterThan"
    case dateGreaterThanEquals = "DateGreaterThanEquals"
    case bool = "Bool"
    case binaryEquals = "BinaryEquals"
    case ipAddress = "IpAddress"
    case notIpAddress = "NotIpAddress"
    case arnEquals = "ArnEquals"
    case arnLike = "ArnLike"
    case arnNotEquals = "ArnNotEquals"
    case arnNotLike = "ArnNotLike"
    case null = "Null"

    /// Whether the operator holds when the value matches *none* of the policy's values. A negated
    /// operator also holds when the key is absent.
    var isNegated: Bool { positive != self }

    /// The operator a negated one negates; the operator itself otherwise.
    var positive: ConditionOperator {
        switch self {
        case .stringNotEquals: .stringEquals
        case .stringNotEqualsIgnoreCase: .stringEqualsIgnoreCase
        case .stringNotLike: .stringLike
        case .numericNotEquals: .numericEquals
        case .dateNotEquals: .dateEquals
        case .notIpAddress: .ipAddress
        case .arnNotEquals: .arnEquals
        case .arnNotLike: .arnLike
        default: self
        }
    }

    /// The kind of value the operator compares, to check a policy's values when it is read.
    enum ValueKind { case string, number, date, bool, ipAddress, arn }

    var valueKind: ValueKind {
        switch positive {
        case .numericEquals, .numericLessThan, .numericLessThanEquals, .numericGreaterThan, .numericGreaterThanEquals: .number
        case .dateEquals, .dateLessThan, .dateLessThanEquals, .dateGreaterThan, .dateGreaterThanEquals: .date
        case .bool, .null: .bool
        case .ipAddress: .ipAddress
        case .arnEquals, .arnLike: .arn
        default: .string
        }
    }

    /// Whether `*` and `?` are wildcards in the policy's values.
    var usesWildcards: Bool {
        switch positive {
        case .stringLike, .arnEquals, .arnLike: true
        default: false
        }
    }
}

/// One key of one condition operator: `"StringEquals": {"aws:RequestedRegion": ["eu-west-1"]}`.
public struct ConditionClause: Sendable, Hashable, CustomStringConvertible {
    /// How a multivalued key is compared.
    public enum SetQualifier: String, Sendable, Hashable {
        /// A single-valued key (no qualifier).
        case none = ""
        /// `ForAllValues:`: every value of the request must match; true when the key is absent.
        case forAllValues = "ForAllValues"
        /// `ForAnyValue:`: some value of the request must match; false when the key is absent.
        case forAnyValue = "ForAnyValue"
    }

    /// The operator as the policy wrote it, for example `ForAnyValue:StringLikeIfExists`.
    public let operatorName: String
    /// The condition key.
    public let key: String
    /// The policy's values, as text.
    public let values: [String]
    /// The set qualifier.
    public let qualifier: SetQualifier
    /// Whether the `IfExists` form was used: true when the key is absent.
    public let ifExists: Bool

    let base: ConditionOperator
    let patterns: [WildcardPattern]

    init(operatorName: String, base: ConditionOperator, qualifier: SetQualifier, ifExists: Bool, key: String,
         values: [String], variables: Bool) {
        self.operatorName = operatorName
        self.base = base
        self.qualifier = qualifier
        self.ifExists = ifExists
        self.key = key
        self.values = values
        patterns = values.map { WildcardPattern($0, variables: variables, wildcards: base.usesWildcards) }
    }

    /// Splits an operator name into its parts, or returns nil when it is not one IAM knows.
    static func parseOperator(_ name: String) -> (ConditionOperator, SetQualifier, Bool)? {
        var rest = Substring(name)
        var qualifier = SetQualifier.none
        for candidate in [SetQualifier.forAllValues, .forAnyValue] where rest.lowercased().hasPrefix(candidate.rawValue.lowercased() + ":") {
            qualifier = candidate
            rest = rest.dropFirst(candidate.rawValue.count + 1)
        }
        var ifExists = false
        if rest.lowercased().hasSuffix("ifexists") {
            ifExists = true
            rest = rest.dropLast("IfExists".count)
        }
        guard let base = ConditionOperator.allCases.first(where: { $0.rawValue.lowercased() == rest.lowercased() }) else {
            return nil
        }
        if base == .null && (ifExists || qualifier != .none) { return nil }
        return (base, qualifier, ifExists)
    }

    /// For example `StringEquals aws:RequestedRegion ["eu-west-1"]`.
    public var description: String {
        "\(operatorName) \(key) " + (values.count == 1 ? "\"\(values[0])\"" : "[" + values.map { "\"\($0)\"" }.joined(separator: ", ") + "]")
    }
}
