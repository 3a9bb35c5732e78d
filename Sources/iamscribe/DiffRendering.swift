#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import IAMScribeCore

/// How `diff` shows its report: a text report for terminals, JSON for machines.
enum DiffRendering {
    /// How many items a text list shows before it summarizes.
    private static let shown = 8

    static func json(_ report: DiffReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // JSONEncoder escapes only what JSON requires; names from outside may hold U+202E or C1 controls.
        return JSONText.escapeInvisibles(String(decoding: try encoder.encode(report), as: UTF8.self)) + "\n"
    }

    static func text(_ report: DiffReport) -> String {
        var out = "iamscribe diff: \(plural(report.calls, "call")), \(plural(report.requests, "action request")) against "
            + "\(plural(report.statements, "statement")) in \(report.policies.joined(separator: ", "))\n"
        let missingRequests = report.missing.reduce(0) { $0 + $1.calls }
        out += "  \(plural(report.allowed, "request")) allowed, \(plural(missingRequests, "request")) missing"
            + (report.missing.isEmpty ? "" : " (\(plural(report.missing.count, "action/resource pair")) below)") + "\n\n"

        if report.missing.isEmpty {
            out += "MISSING: none, every call is allowed\n\n"
        } else {
            out += "MISSING (\(report.missing.count))\n"
            for item in report.missing {
                let label = item.outcome == .conditional ? "conditional" : item.outcome == .explicitDeny ? "denied" : "not allowed"
                out += "  \(label): \(item.action) on \(item.resource)\n"
                out += "      why: \(item.reason)\n"
                if !item.dependsOn.isEmpty { out += "      depends on: \(item.dependsOn.joined(separator: ", "))\n" }
                out += "      needed by: \(item.operations.joined(separator: ", ")) (\(plural(item.calls, "call")))\n"
                if let add = item.add, item.outcome != .explicitDeny {
                    out += "      add: \(statementLine(add))\n"
                } else {
                    out += "      fix: \(item.fix)\n"
                }
            }
            out += "\n"
        }

        if report.unused.isEmpty {
            out += "UNUSED: none, the calls used every granted action\n\n"
        } else {
            out += "UNUSED (\(plural(report.unused.count, "statement")))\n"
            for item in report.unused {
                out += "  \(item.statement)\n"
                for pattern in item.patterns where pattern.granted > 1 || pattern.pattern.contains("*") {
                    out += "      \(item.element) \(pattern.pattern) grants \(plural(pattern.granted, "action")), the calls used \(pattern.used.count)\n"
                }
                if item.element == "NotAction" {
                    out += "      NotAction grants \(plural(item.granted, "action")), the calls used \(item.used.count)\n"
                }
                for pattern in item.unknownPatterns {
                    out += "      \(item.element) \(pattern) names no action the IAM data knows\n"
                }
                if item.unusedCount > 0 { out += "      never used: \(summary(item.unused))\n" }
            }
            out += "\n"
        }

        if report.overBroad.isEmpty {
            out += "OVER-BROAD: none\n"
        } else {
            out += "OVER-BROAD (\(plural(report.overBroad.count, "statement")))\n"
            for item in report.overBroad {
                out += "  \(item.statement)\n"
                for finding in item.findings {
                    out += "      \(finding.element) \(finding.value): \(finding.why)\n"
                }
                if item.replacement.isEmpty {
                    out += "      narrowest replacement: none, no call used it; remove the statement\n"
                } else {
                    out += "      narrowest replacement\(item.resourcesPartlyUnknown ? " (resources the capture does not name stay wildcards)" : ""):\n"
                    for statement in item.replacement { out += "        \(statementLine(statement))\n" }
                }
            }
        }

        if !report.toAdd.isEmpty {
            out += "\nTO ADD (the statements that allow every implicitly denied call)\n"
            out += PolicyDocument(statements: report.toAdd.map { .init(actions: $0.action, resources: $0.resource) }).json
        }

        let lines = NotesRendering.lines(report.notes, for: .diff)
        if !lines.isEmpty {
            out += "\nNOTES\n" + lines.map { "  \($0)\n" }.joined()
        }
        // Resources, Sids and patterns come from captures and policy files: nothing in them may
        // act on the terminal.
        return TerminalText.escape(out, keepingNewlines: true)
    }

    /// A statement on one line, in IAM's key order.
    static func statementLine(_ statement: DiffReport.SuggestedStatement) -> String {
        var out = "{\"Effect\": \(LookupRendering.quote(statement.effect)), \"Action\": \(value(statement.action)), \"Resource\": \(value(statement.resource))"
        if let condition = statement.condition {
            let operators = condition.keys.sorted().map { name in
                let keys = (condition[name] ?? [:]).sorted { $0.key < $1.key }.map { "\(LookupRendering.quote($0.key)): \(value($0.value))" }
                return "\(LookupRendering.quote(name)): {\(keys.joined(separator: ", "))}"
            }
            out += ", \"Condition\": {\(operators.joined(separator: ", "))}"
        }
        return out + "}"
    }

    private static func value(_ items: [String]) -> String {
        items.count == 1 ? LookupRendering.quote(items[0]) : "[" + items.map(LookupRendering.quote).joined(separator: ", ") + "]"
    }

    /// A list of actions, whole when short; otherwise counted per prefix with a few examples.
    static func summary(_ actions: [String]) -> String {
        if actions.count <= shown { return actions.joined(separator: ", ") }
        var counts: [String: Int] = [:]
        for action in actions { counts[String(action.prefix { $0 != ":" }), default: 0] += 1 }
        let prefixes = counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        var byPrefix = prefixes.prefix(5).map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        if prefixes.count > 5 { byPrefix += ", and \(prefixes.count - 5) more prefixes" }
        return "\(actions.count) actions (\(byPrefix)), for example \(actions.prefix(5).joined(separator: ", "))"
    }
}
