/// Evaluates one condition clause against a request context, following the IAM documentation:
///
/// - a key the request lacks: a negated operator (`StringNotEquals`, `NotIpAddress`, ...) holds,
///   the others do not; `...IfExists` holds; `ForAllValues:` holds, `ForAnyValue:` does not;
///   `Null: true` holds;
/// - a key the capture does not tell: the clause depends on it, whatever the operator;
/// - the policy's values are alternatives: a positive operator holds when one matches, a negated
///   one when none does.
enum ConditionEvaluation {
    static func evaluate(_ clause: ConditionClause, _ context: RequestContext) -> Truth {
        switch context.value(of: clause.key) {
        case .unknown:
            return .unknown([clause.key])
        case .absent:
            if clause.base == .null { return Truth(clause.values.contains { ConditionValue.bool($0) == true }) }
            if clause.ifExists { return .yes }
            switch clause.qualifier {
            case .forAllValues: return .yes
            case .forAnyValue: return .no
            case .none: return Truth(clause.base.isNegated)
            }
        case .present(let values):
            if clause.base == .null { return Truth(clause.values.contains { ConditionValue.bool($0) == false }) }
            let perValue: (String) -> Truth = { value in
                let positive = Truth.any(clause.patterns) { compare(clause.base.positive, $0, value, context) }
                return clause.base.isNegated ? !positive : positive
            }
            switch clause.qualifier {
            case .forAllValues: return Truth.all(values, perValue)
            case .forAnyValue: return Truth.any(values, perValue)
            case .none: return clause.base.isNegated ? Truth.all(values, perValue) : Truth.any(values, perValue)
            }
        }
    }

    /// Compares a request value with one policy value under a positive operator.
    private static func compare(_ op: ConditionOperator, _ pattern: WildcardPattern, _ value: String, _ context: RequestContext) -> Truth {
        // A variable the request lacks, without a default, makes the comparison fail.
        guard let pattern = pattern.resolving(context) else { return .no }
        let subject = ResourceText(value)
        switch op {
        case .stringEquals, .stringLike, .binaryEquals:
            return pattern.match(subject)
        case .stringEqualsIgnoreCase:
            return pattern.match(subject, caseInsensitive: true)
        case .arnEquals, .arnLike:
            return ARNMatcher.match(pattern, subject)
        default:
            break
        }
        let variables = pattern.variableKeys
        guard variables.isEmpty else { return .unknown(Set(variables.map { "${\($0)}" })) }
        let expected = pattern.literalText
        switch op {
        case .numericEquals, .numericLessThan, .numericLessThanEquals, .numericGreaterThan, .numericGreaterThanEquals:
            guard let left = ConditionValue.number(value), let right = ConditionValue.number(expected) else { return .no }
            return Truth(order(op, left, right))
        case .dateEquals, .dateLessThan, .dateLessThanEquals, .dateGreaterThan, .dateGreaterThanEquals:
            guard let left = ConditionValue.date(value), let right = ConditionValue.date(expected) else { return .no }
            return Truth(order(op, left, right))
        case .bool:
            guard let left = ConditionValue.bool(value), let right = ConditionValue.bool(expected) else { return .no }
            return Truth(left == right)
        case .ipAddress:
            guard let network = ConditionValue.Network(expected), let address = ConditionValue.Network(value) else { return .no }
            return Truth(network.contains(address))
        default:
            return .no
        }
    }

    private static func order<T: Comparable>(_ op: ConditionOperator, _ left: T, _ right: T) -> Bool {
        switch op {
        case .numericEquals, .dateEquals: left == right
        case .numericLessThan, .dateLessThan: left < right
        case .numericLessThanEquals, .dateLessThanEquals: left <= right
        case .numericGreaterThan, .dateGreaterThan: left > right
        case .numericGreaterThanEquals, .dateGreaterThanEquals: left >= right
        default: false
        }
    }
}
