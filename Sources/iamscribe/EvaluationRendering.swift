#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import IAMScribeCore

/// How `evaluate` shows its decision.
enum EvaluationRendering {
    static func text(_ decision: Decision) -> String {
        var out = "\(decision.verdict): \(decision.action) on \(decision.resource)\n"
        out += "  \(decision.reason)\n"
        if !decision.dependsOn.isEmpty {
            out += "  depends on: \(decision.dependsOn.joined(separator: ", "))\n"
        }
        return out
    }

    static func json(_ decision: Decision) -> String {
        let quote = LookupRendering.quote
        let statements = decision.statements.map(reference)
        return "{\"decision\":\(quote(decision.verdict)),\"outcome\":\(quote(decision.outcome.rawValue))"
            + ",\"action\":\(quote(decision.action)),\"resource\":\(quote(decision.resource))"
            + ",\"statements\":[\(statements.joined(separator: ","))],\"reason\":\(quote(decision.reason))"
            + ",\"dependsOn\":\(LookupRendering.list(decision.dependsOn))}\n"
    }

    static func reference(_ reference: PolicyStatement.Reference) -> String {
        let quote = LookupRendering.quote
        return "{\"source\":\(quote(reference.source)),\"number\":\(reference.number)"
            + (reference.sid.map { ",\"sid\":\(quote($0))" } ?? "") + "}"
    }
}
