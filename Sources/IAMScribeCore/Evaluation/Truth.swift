/// A three-valued answer: yes, no, or "it depends on" things the observed call does not tell.
///
/// The evaluator never turns an unknown into a yes: a statement whose match depends on a condition
/// key, a policy variable or a resource the capture does not know stays `unknown`, with what it
/// depends on, all the way to the decision.
public enum Truth: Sendable, Hashable {
    /// Definitely true.
    case yes
    /// Definitely false.
    case no
    /// True or false depending on these things (condition keys, `${variables}`, unknown resource parts).
    case unknown(Set<String>)

    /// Creates a definite answer.
    init(_ value: Bool) { self = value ? .yes : .no }

    /// Logical and: a definite no wins over an unknown.
    static func && (lhs: Truth, rhs: @autoclosure () -> Truth) -> Truth {
        if case .no = lhs { return .no }
        let right = rhs()
        switch (lhs, right) {
        case (_, .no): return .no
        case (.yes, _): return right
        case (_, .yes): return lhs
        case (.unknown(let a), .unknown(let b)): return .unknown(a.union(b))
        default: return .no
        }
    }

    /// Logical or: a definite yes wins over an unknown.
    static func || (lhs: Truth, rhs: @autoclosure () -> Truth) -> Truth {
        if case .yes = lhs { return .yes }
        let right = rhs()
        switch (lhs, right) {
        case (_, .yes): return .yes
        case (.no, _): return right
        case (_, .no): return lhs
        case (.unknown(let a), .unknown(let b)): return .unknown(a.union(b))
        default: return .yes
        }
    }

    /// Logical not: an unknown stays unknown.
    static prefix func ! (value: Truth) -> Truth {
        switch value {
        case .yes: .no
        case .no: .yes
        case .unknown: value
        }
    }

    /// Whether every element answers yes (an empty sequence does).
    static func all<S: Sequence>(_ items: S, _ test: (S.Element) -> Truth) -> Truth {
        var result = Truth.yes
        for item in items {
            result = result && test(item)
            if result == .no { return .no }
        }
        return result
    }

    /// Whether some element answers yes (an empty sequence does not).
    static func any<S: Sequence>(_ items: S, _ test: (S.Element) -> Truth) -> Truth {
        var result = Truth.no
        for item in items {
            result = result || test(item)
            if result == .yes { return .yes }
        }
        return result
    }

    /// What the answer depends on, sorted; empty for a definite answer.
    var dependencies: [String] {
        if case .unknown(let things) = self { return things.sorted() }
        return []
    }
}
