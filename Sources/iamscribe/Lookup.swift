import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import IAMScribeCore

struct Lookup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the IAM actions an AWS call needs.",
        discussion: """
        iamscribe lookup S3 GetObject          the actions, primary first, and their ARN templates
        iamscribe lookup --batch --json        lines SERVICE<TAB>OPERATION on stdin, one JSON object out each
        iamscribe lookup --action s3:GetObject the operations that need an action
        iamscribe lookup --explain SNS Publish why each action is there: the rule, the override line, the trigger, the source
        iamscribe lookup S3 GetObject --param Bucket=photos --param Key=cat.jpg
                                               the resource ARN each action acts on, given those parameters
        Unknown names exit with status 2 and the closest known names.
        """
    )

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Say why each action is there: the rule, the override line, the trigger and the source.")
    var explain = false

    @Flag(help: "Read SERVICE<TAB>OPERATION lines from standard input; write one JSON object a line.")
    var batch = false

    @Option(help: "List the operations that need this action (prefix:Name).")
    var action: String?

    @Option(name: .customLong("param"), help: ArgumentHelp("An input member of the call, Name=value (repeatable): shows the resource ARN each action acts on.", valueName: "Name=value"))
    var parameters: [String] = []

    @Option(help: "The region of the call, with --param (default us-east-1).")
    var region = "us-east-1"

    @Option(help: ArgumentHelp("The 12-digit account of the call, with --param (default: unknown, * in ARNs).", valueName: "id"))
    var accountId: String?

    @Argument(help: "The service (any name: S3, 'API Gateway', apigateway, dynamodb, ...).")
    var service: String?

    @Argument(help: "The operation (GetObject, ListObjectsV2, ...).")
    var operation: String?

    func validate() throws {
        let modes = [batch, action != nil, service != nil].filter { $0 }.count
        if modes != 1 {
            throw ValidationError("Give SERVICE OPERATION, or --batch, or --action ACTION (one of them).")
        }
        if service != nil && operation == nil {
            throw ValidationError("Give the operation after the service, for example: iamscribe lookup S3 GetObject")
        }
        if explain && service == nil {
            throw ValidationError("--explain explains one call: give SERVICE OPERATION, for example: iamscribe lookup --explain SNS Publish")
        }
        if batch && !json {
            throw ValidationError("--batch writes JSON lines; add --json.")
        }
        if !parameters.isEmpty && (service == nil || explain) {
            throw ValidationError("--param goes with SERVICE OPERATION, for example: iamscribe lookup S3 GetObject --param Bucket=photos --param Key=cat.jpg")
        }
        for parameter in parameters where !parameter.contains("=") || parameter.hasPrefix("=") {
            throw ValidationError("--param takes Name=value, not '\(parameter)'.")
        }
        if let accountId, !AccessKeyID.isAccountID(accountId) {
            throw ValidationError("--account-id takes a 12-digit account id, not '\(accountId)'.")
        }
    }

    func run() throws {
        let table = ActionTable.bundled
        if batch {
            runBatch(table)
        } else if let action {
            try runAction(action, table)
        } else if let service, let operation {
            try runSingle(service, operation, table)
        }
    }

    private func runSingle(_ service: String, _ operation: String, _ table: ActionTable) throws {
        var given: [String: String] = [:]
        for parameter in parameters {
            let parts = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            given[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        // The parameters settle the conditional actions, as for a captured call.
        switch table.permissions(service: service, operation: operation, parameters: parameters.isEmpty ? nil : given) {
        case .failure(let failure):
            Output.error(failure.description)
            throw ExitCode(2)
        case .success(let permissions):
            if explain {
                Output.write(json ? LookupRendering.explanationJSON(permissions) : LookupRendering.explanation(permissions))
            } else if parameters.isEmpty {
                Output.write(json ? LookupRendering.json(permissions, table) : LookupRendering.text(permissions, table))
            } else {
                let resolved = LookupRendering.resolved(permissions, parameters: given, region: region, account: accountId, table)
                Output.write(json ? LookupRendering.json(permissions, table, resolved: resolved)
                    : LookupRendering.text(permissions, table) + LookupRendering.resolvedText(resolved))
            }
        }
    }

    private func runAction(_ action: String, _ table: ActionTable) throws {
        guard let canonical = table.canonicalAction(action) else {
            Output.error("unknown action '\(action)' (the IAM data has no such action)")
            throw ExitCode(2)
        }
        let found = table.operations(needing: canonical)
        if json {
            let items = found.map {
                "{\"service\":\(LookupRendering.quote($0.service.serviceID)),\"module\":\(LookupRendering.quote($0.service.module)),\"operation\":\(LookupRendering.quote($0.operation.name)),\"conditional\":\($0.conditional)}"
            }
            Output.write("{\"action\":\(LookupRendering.quote(canonical)),\"operations\":[\(items.joined(separator: ","))]}\n")
        } else if found.isEmpty {
            Output.write("\(canonical): no operation in the table needs it\n")
        } else {
            Output.write(found.map { "\($0.service.module) \($0.operation.name)\($0.conditional ? " (only with some parameters)" : "")" }
                .joined(separator: "\n") + "\n")
        }
    }

    private func runBatch(_ table: ActionTable) {
        var output = ""
        output.reserveCapacity(1 << 20)
        while let line = readLine(strippingNewline: true) {
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            let service = String(parts[0]).trimmingWhitespace()
            let operation = parts.count > 1 ? String(parts[1]).trimmingWhitespace() : ""
            output += LookupRendering.batchLine(service: service, operation: operation, table)
            if output.utf8.count > 1 << 20 {
                Output.write(output)
                output.removeAll(keepingCapacity: true)
            }
        }
        Output.write(output)
    }
}
