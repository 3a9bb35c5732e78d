import Foundation
import IAMScribeCore
import Testing
import TestSupport

@Suite("generate --format, --minimize and the size report, through the binary")
struct PolicyFormatCommandTests {
    /// CSM `ApiCall` lines for every `step`-th operation of every service: a policy far over
    /// every quota.
    static func manyCalls(step: Int) -> String {
        let table = ActionTable.bundled
        var lines: [String] = []
        for service in table.services {
            for (index, operation) in table.operations(of: service).enumerated() where index % step == 0 {
                lines.append(#"{"Version":1,"ClientId":"","Type":"ApiCall","Service":"\#(service.serviceID)","Api":"\#(operation.name)","Timestamp":1795910227858,"AttemptCount":1,"Region":"us-east-1","FinalHttpStatusCode":200,"Latency":1,"MaxRetriesExceeded":0}"#)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test("Each format on standard output holds the same actions as the JSON; the size is reported against the quotas")
    func formats() throws {
        let input = Fixtures.path("awscli-moto.csm.jsonl")
        let json = try Binary.run(["generate", input])
        #expect(json.status == 0)
        #expect(json.stderr.contains("iamscribe: the policy has 266 characters (white space not counted): within every IAM policy quota"))
        let policy = try IAMPolicy.parse(Data(json.stdout.utf8), source: "json")
        let actions = policy.statements.flatMap(\.actions)
        #expect(actions.contains("s3:GetObject"))

        let terraform = try Binary.run(["generate", "--format", "terraform", input])
        #expect(terraform.status == 0)
        #expect(terraform.stdout.hasPrefix("data \"aws_iam_policy_document\" \"iamscribe\" {\n"))
        for action in actions { #expect(terraform.stdout.contains("      \"\(action)\",\n")) }

        let cloudFormation = try Binary.run(["generate", "--format", "cloudformation", input])
        #expect(cloudFormation.status == 0)
        #expect(cloudFormation.stdout.contains("    Type: AWS::IAM::ManagedPolicy\n"))
        for action in actions { #expect(cloudFormation.stdout.contains("              - \"\(action)\"\n")) }

        let bad = try Binary.run(["generate", "--format", "hcl", input])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("hcl"))
    }

    @Test("--minimize shortens a large policy and splits it into numbered files within 6,144 characters that grant the same")
    func minimizeAndSplit() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-minimize-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("calls.jsonl").path
        try Self.manyCalls(step: 4).write(toFile: input, atomically: true, encoding: .utf8)

        let whole = try Binary.run(["generate", input])
        #expect(whole.status == 0)
        #expect(whole.stderr.contains("iamscribe: warning: the policy has "))
        #expect(whole.stderr.contains("over the quota of inline policies of a role (10,240), managed policy (6,144)"))
        #expect(whole.stderr.contains("--minimize can shorten and split it"))
        let original = try IAMPolicy.parse(Data(whole.stdout.utf8), source: "whole")

        let output = folder.appendingPathComponent("policy.json").path
        let split = try Binary.run(["generate", "--minimize", "--output-file", output, input])
        #expect(split.status == 0, "\(split.stderr)")
        #expect(split.stdout.isEmpty)
        var parts: [IAMPolicy] = []
        for number in 1... {
            let path = number == 1 ? output : PolicyOutput.numbered(output, number)
            guard let data = FileManager.default.contents(atPath: path) else { break }
            parts.append(try IAMPolicy.parse(data, source: path))
            let document = String(decoding: data, as: UTF8.self)
            #expect(PolicyFormatCommandTests.quotaSize(document) <= 6144, "\(path)")
        }
        #expect(parts.count > 1)
        #expect(split.stderr.contains("so split into \(parts.count) documents (\(output), \(PolicyOutput.numbered(output, 2))"))
        // Every action the IAM data knows is allowed by the parts exactly when the original (its
        // actions literal, on "*") allows it: the parts' patterns matched as IAM matches them,
        // and the evaluator deciding every 50th action (it scans thousands of patterns an action).
        let granted = Set(original.statements.flatMap(\.actions).map { $0.lowercased() })
        // Patterns by their service prefix (a pattern's prefix is literal, or it goes to every
        // prefix): each action is matched against its own prefix's patterns only.
        var patternsByPrefix: [String: [[UInt8]]] = [:]
        var everywhere: [[UInt8]] = []
        for pattern in parts.flatMap(\.statements).flatMap(\.actions).map({ $0.lowercased() }) {
            let head = pattern.split(separator: ":", maxSplits: 1).first.map(String.init) ?? pattern
            if head.contains("*") || head.contains("?") || !pattern.contains(":") {
                everywhere.append(Array(pattern.utf8))
            } else {
                patternsByPrefix[head, default: []].append(Array(pattern.utf8))
            }
        }
        let before = PolicyEvaluator(policies: [original]), after = PolicyEvaluator(policies: parts)
        let table = ActionTable.bundled
        var checked = 0
        for prefix in table.iamPrefixes {
            for action in table.iamService(prefix: prefix)?.actions ?? [] {
                let name = "\(prefix):\(action.name)"
                let subject = Array(name.lowercased().utf8)
                let patterns = (patternsByPrefix[prefix.lowercased()] ?? []) + everywhere
                #expect(patterns.contains { ActionGlob.matches($0, subject) } == granted.contains(name.lowercased()), "\(name)")
                if checked % 50 == 0 {
                    #expect(before.evaluate(action: name, resource: .any).outcome == after.evaluate(action: name, resource: .any).outcome, "\(name)")
                }
                checked += 1
            }
        }
        #expect(checked > 15_000)

        // On standard output the parts are one JSON array; Terraform gets a block each.
        let array = try Binary.run(["generate", "--minimize", input])
        let items = try #require(try JSONSerialization.jsonObject(with: Data(array.stdout.utf8)) as? [[String: Any]])
        #expect(items.count == parts.count)
        let terraform = try Binary.run(["generate", "--minimize", "--format", "terraform", input])
        #expect(terraform.stdout.components(separatedBy: "data \"aws_iam_policy_document\"").count - 1 == parts.count)
        #expect(terraform.stdout.contains("\"iamscribe_2\""))
    }

    /// Characters without white space outside strings, counted here independently of the core.
    static func quotaSize(_ json: String) -> Int {
        var count = 0, inString = false, escaped = false
        for scalar in json.unicodeScalars {
            if inString {
                count += 1
                if escaped { escaped = false } else if scalar == "\\" { escaped = true } else if scalar == "\"" { inString = false }
            } else if scalar == "\"" {
                inString = true
                count += 1
            } else if !scalar.properties.isWhitespace {
                count += 1
            }
        }
        return count
    }
}
