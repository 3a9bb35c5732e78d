import Foundation
import Testing

@Suite("diff and evaluate, through the binary")
struct DiffCommandTests {
    static let lacking = """
    {"Version": "2012-10-17", "Statement": [
        {"Sid": "S3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Sid": "Queues", "Effect": "Allow", "Action": ["sqs:CreateQueue", "sqs:DeleteQueue"], "Resource": "*"},
        {"Sid": "Tables", "Effect": "Allow", "Action": ["dynamodb:CreateTable", "dynamodb:PutItem"], "Resource": "*"}
    ]}
    """

    static let enough = """
    {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:CreateBucket", "s3:PutObject", "s3:GetObject", "s3:ListBucket"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["sqs:CreateQueue", "sqs:SendMessage", "dynamodb:CreateTable", "dynamodb:PutItem"], "Resource": "*"}
    ]}
    """

    func write(_ text: String, _ name: String = "policy.json") throws -> URL {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID())-\(name)")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test("A workload recorded against moto: missing, unused and over-broad findings, exit 1",
          .enabled(if: MotoWorkload.available, "needs moto_server, aws and python3 (Scripts/setup installs them)"))
    func missing() throws {
        let events = try MotoWorkload.recording.get()
        let policy = try write(Self.lacking)
        defer { try? FileManager.default.removeItem(at: policy) }

        let text = try Binary.run(["diff", "--policy", policy.path, events.path])
        #expect(text.status == 1, "\(text.stderr)")
        #expect(text.stdout.contains("not allowed: sqs:SendMessage on arn:aws:sqs:us-east-1:${Account}:${QueueName}"))
        #expect(text.stdout.contains(#"add: {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:*:*"}"#))
        #expect(text.stdout.contains("never used: sqs:DeleteQueue"))
        #expect(text.stdout.contains("Action s3:*: matches"))
        #expect(text.stdout.contains("MISSING (1)\n"), "\(text.stdout)")

        let json = try Binary.run(["diff", "--format", "json", "--policy", policy.path, events.path])
        #expect(json.status == 1)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let missing = try #require(report["missing"] as? [[String: Any]])
        #expect(missing.compactMap { $0["action"] as? String } == ["sqs:SendMessage"])
        #expect(missing.first?["decision"] as? String == "deny")
        #expect(missing.first?["outcome"] as? String == "implicit-deny")
        #expect(missing.first?["operations"] as? [String] == ["SQS SendMessage"])
        let unused = try #require(report["unused"] as? [[String: Any]])
        let queues = try #require(unused.first { ($0["statement"] as? [String: Any])?["sid"] as? String == "Queues" })
        #expect(queues["unused"] as? [String] == ["sqs:DeleteQueue"])
        let broad = try #require(report["overBroad"] as? [[String: Any]])
        let s3 = try #require(broad.first { ($0["statement"] as? [String: Any])?["sid"] as? String == "S3" })
        let findings = try #require(s3["findings"] as? [[String: Any]])
        #expect(findings.contains { $0["element"] as? String == "Action" && $0["value"] as? String == "s3:*" })
        let replacement = try #require(s3["replacement"] as? [[String: Any]])
        #expect(Set(replacement.flatMap { $0["Action"] as? [String] ?? [] }) == ["s3:CreateBucket", "s3:PutObject", "s3:GetObject", "s3:ListBucket"])
    }

    @Test("The same workload against a policy that grants what it calls: exit 0",
          .enabled(if: MotoWorkload.available, "needs moto_server, aws and python3 (Scripts/setup installs them)"))
    func passing() throws {
        let events = try MotoWorkload.recording.get()
        let policy = try write(Self.enough)
        defer { try? FileManager.default.removeItem(at: policy) }
        let result = try Binary.run(["diff", "--policy", policy.path, events.path])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("MISSING: none"))
    }

    @Test("diff exits 2 on an invalid policy or an unreadable input, naming the statement and field")
    func errors() throws {
        let bad = try write(#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"B","Effect":"Permit","Action":"s3:*","Resource":"*"}]}"#)
        let good = try write(Self.enough)
        defer { for file in [bad, good] { try? FileManager.default.removeItem(at: file) } }
        let invalid = try Binary.run(["diff", "--policy", bad.path, Fixtures.path("awscli-moto.csm.jsonl")])
        #expect(invalid.status == 2)
        #expect(invalid.stderr.contains(#"statement 2 (Sid "B"): Effect: must be "Allow" or "Deny", not "Permit""#))
        let unreadable = try Binary.run(["diff", "--policy", good.path, "/nonexistent/calls.jsonl"])
        #expect(unreadable.status == 2)
        #expect(unreadable.stderr.contains("cannot read /nonexistent/calls.jsonl"))
        let noPolicy = try Binary.run(["diff", Fixtures.path("awscli-moto.csm.jsonl")])
        #expect(noPolicy.status == 2)
        #expect(noPolicy.stderr.contains("--policy FILE"))
        let wildcard = try Binary.run(["evaluate", "--policy", good.path, "s3:*"])
        #expect(wildcard.status == 2)
    }

    @Test("evaluate and diff refuse a policy with a duplicate key (exit 2) instead of taking the first")
    func duplicateKey() throws {
        let policy = try write(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#, "role.json")
        defer { try? FileManager.default.removeItem(at: policy) }
        let evaluated = try Binary.run(["evaluate", "--policy", policy.path, "s3:GetObject", "arn:aws:s3:::photos/cat.jpg"])
        #expect(evaluated.status == 2)
        #expect(evaluated.stdout.isEmpty)
        #expect(evaluated.stderr.contains(#"role.json: statement 1: duplicate key "Effect""#), "\(evaluated.stderr)")
        let diffed = try Binary.run(["diff", "--policy", policy.path, Fixtures.path("awscli-moto.csm.jsonl")])
        #expect(diffed.status == 2)
        #expect(diffed.stderr.contains(#"statement 1: duplicate key "Effect""#))
    }

    @Test("An unknown option exits 64 for every command, even where a usage error exits 2", arguments: [
        ["evaluate", "--bogus"], ["diff", "--bogus"], ["evaluate", "--policy", "p.json", "--bogus", "s3:GetObject"],
        ["diff", "--policy", "p.json", "--bogus", "calls.jsonl"], ["generate", "--bogus", "calls.jsonl"],
        ["record", "--bogus"], ["lookup", "--bogus", "S3", "GetObject"], ["table", "stats", "--bogus"],
    ])
    func unknownOption(arguments: [String]) throws {
        let result = try Binary.run(arguments)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("Unknown option '--bogus'"), "\(result.stderr)")
    }

    @Test("evaluate: 0 allowed, 1 denied, 3 conditional, 2 on an error; JSON names the decision")
    func evaluate() throws {
        let policy = try write("""
        {"Version": "2012-10-17", "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::photos/*"},
            {"Sid": "Office", "Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}
        ]}
        """)
        defer { try? FileManager.default.removeItem(at: policy) }
        let object = "arn:aws:s3:::photos/cat.jpg"

        let allowed = try Binary.run(["evaluate", "--policy", policy.path, "--context", "aws:SourceIp=203.0.113.9", "s3:GetObject", object])
        #expect(allowed.status == 0)
        #expect(allowed.stdout.hasPrefix("allow: s3:GetObject on \(object)\n"))
        #expect(allowed.stdout.contains(#"statement 1 "Read""#))

        let conditional = try Binary.run(["evaluate", "--policy", policy.path, "--json", "s3:GetObject", object])
        #expect(conditional.status == 3)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(conditional.stdout.utf8)) as? [String: Any])
        #expect(json["decision"] as? String == "conditional")
        #expect(json["dependsOn"] as? [String] == ["aws:SourceIp"])

        let denied = try Binary.run(["evaluate", "--policy", policy.path, "--json", "--context", "aws:SourceIp=198.51.100.1", "s3:GetObject", object])
        #expect(denied.status == 1)
        let deniedJSON = try #require(try JSONSerialization.jsonObject(with: Data(denied.stdout.utf8)) as? [String: Any])
        #expect(deniedJSON["decision"] as? String == "deny")
        #expect(deniedJSON["outcome"] as? String == "explicit-deny")
        #expect((deniedJSON["statements"] as? [[String: Any]])?.first?["sid"] as? String == "Office")

        let implicit = try Binary.run(["evaluate", "--policy", policy.path, "--context", "aws:SourceIp=203.0.113.9", "s3:PutObject", object])
        #expect(implicit.status == 1)
        #expect(implicit.stdout.hasPrefix("deny: "))

        let missingFile = try Binary.run(["evaluate", "--policy", "/nonexistent/policy.json", "s3:GetObject"])
        #expect(missingFile.status == 2)
    }

    @Test("evaluate reads get-role-policy output with a URL-encoded document and several files")
    func roleOutput() throws {
        let encoded = #"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Sid%22%3A%22Q%22%2C%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22sqs%3ASendMessage%22%2C%22Resource%22%3A%22arn%3Aaws%3Asqs%3A*%3A123456789012%3Ajobs%22%7D%5D%7D"#
        let role = try write(#"{"RoleName": "worker", "PolicyName": "jobs", "PolicyDocument": "\#(encoded)"}"#, "role.json")
        let other = try write(#"{"Version":"2012-10-17","Statement":[{"Sid":"NoProd","Effect":"Deny","Action":"sqs:*","Resource":"arn:aws:sqs:*:*:prod-*"}]}"#, "deny.json")
        defer { for file in [role, other] { try? FileManager.default.removeItem(at: file) } }
        let allowed = try Binary.run(["evaluate", "--policy", role.path, "--policy", other.path, "sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:jobs"])
        #expect(allowed.status == 0, "\(allowed.stdout)\(allowed.stderr)")
        #expect(allowed.stdout.contains(#"statement 1 "Q" of \#(role.path)"#))
        let denied = try Binary.run(["evaluate", "--policy", role.path, "--policy", other.path, "sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:prod-jobs"])
        #expect(denied.status == 1)
        #expect(denied.stdout.contains(#"statement 1 "NoProd" of \#(other.path)"#))
    }
}
