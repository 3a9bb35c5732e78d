import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import IAMScribeCore

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decide one action (and resource) against policies, and say which statement decided it and why.",
        discussion: """
        iamscribe evaluate --policy role.json s3:GetObject arn:aws:s3:::photos/cat.jpg
        iamscribe evaluate --policy a.json --policy b.json --region eu-west-1 --json sqs:SendMessage
        Without RESOURCE, the resource is built from the action's ARN templates with its parts \
        unknown: only statements whose resources match whatever they are decide it. Condition keys \
        not given with --context or --absent are unknown, and a statement that turns on one makes \
        the decision "conditional". Exit status: 0 allowed, 1 denied (explicitly or implicitly), \
        3 conditional, 2 on an error.
        """
    )

    @OptionGroup var policy: PolicyFileOptions

    @Flag(help: "Print JSON: {\"decision\": \"allow\" | \"deny\" | \"conditional\", ...}.")
    var json = false

    @Option(help: "The region of the request (aws:RequestedRegion, and the region part of built ARNs).")
    var region: String?

    @Option(help: ArgumentHelp("A condition key's value, KEY=VALUE (repeat a key for several values).", valueName: "key=value"))
    var context: [String] = []

    @Option(help: ArgumentHelp("A condition key the request does not carry (repeatable).", valueName: "key"))
    var absent: [String] = []

    @Option(help: "The request's time (ISO 8601), for aws:CurrentTime and aws:EpochTime; default now.")
    var time: String?

    @Argument(help: "The action, prefix:Name (for example s3:GetObject).")
    var action: String = ""

    @Argument(help: "The resource ARN, or * for an action without resource types.")
    var resource: String?

    /// Usage checks run in `run()`: ArgumentParser calls `validate()` before it reports an unknown
    /// option, and an unknown option must exit 64, not 2.
    private func checkUsage() throws {
        try policy.checkUsage()
        let parts = action.split(separator: ":", maxSplits: 1)
        if action.isEmpty { throw usageError("Give the action to decide, for example: iamscribe evaluate --policy role.json s3:GetObject") }
        if parts.count != 2 || action.contains("*") || action.contains("?") {
            throw usageError("Give the action as prefix:Name, without wildcards, for example s3:GetObject.")
        }
        for entry in context where !entry.contains("=") {
            throw usageError("--context takes KEY=VALUE, for example --context aws:SourceIp=203.0.113.7; got '\(entry)'.")
        }
        if let time, (try? Date.ISO8601FormatStyle().parse(time)) == nil {
            throw usageError("--time takes an ISO 8601 time such as 2026-01-31T12:00:00Z; got '\(time)'.")
        }
    }

    func run() throws {
        try checkUsage()
        let policies = try policy.load()
        let table = ActionTable.bundled
        let when = time.flatMap { try? Date.ISO8601FormatStyle().parse($0) } ?? Date()
        var requestContext = RequestContext(region: region, time: when)
        var values: [String: [String]] = [:]
        var order: [String] = []
        for entry in context {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            if values[parts[0]] == nil { order.append(parts[0]) }
            values[parts[0], default: []].append(parts[1])
        }
        for key in order { requestContext.set(key, to: values[key] ?? []) }
        for key in absent { requestContext.setAbsent(key) }
        Output.diagnostics(policies.flatMap { $0.unknownActionWarnings(table: table) })
        if table.canonicalAction(action) == nil {
            Output.diagnostics([.warning("\(action) is not an IAM action the table knows")])
        }
        let request: AuthorizationRequest
        if let resource {
            request = AuthorizationRequest(action: action, resources: [ResourceText(resource)], context: requestContext)
        } else {
            let (resources, scope) = RequestResolver(table: table, account: policy.account)
                .resources(for: action, parameters: nil, region: region)
            request = AuthorizationRequest(action: action, resources: resources, scope: scope, context: requestContext)
        }
        let decision = PolicyEvaluator(policies: policies).evaluate(request)
        // Sids and resources come from policy files: escaped, so nothing in them acts on the terminal.
        Output.write(json ? EvaluationRendering.json(decision) : TerminalText.escape(EvaluationRendering.text(decision), keepingNewlines: true))
        switch decision.outcome {
        case .allow: return
        case .explicitDeny, .implicitDeny: throw ExitCode(1)
        case .conditional: throw ExitCode(3)
        }
    }
}
