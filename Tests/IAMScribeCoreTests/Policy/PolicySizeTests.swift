import Foundation
import Testing
@testable import IAMScribeCore

@Suite("Policy size and output files")
struct PolicySizeTests {
    /// The document written without any white space outside strings, by a path of its own:
    /// parsed with Foundation, then written back compactly in IAM's key order.
    static func compact(_ document: PolicyDocument) throws -> String {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(document.json.utf8)) as? [String: Any])
        func value(_ any: Any) -> String {
            if let text = any as? String { return JSONText.quote(text) }
            if let list = any as? [Any] { return "[" + list.map(value).joined(separator: ",") + "]" }
            return "?"
        }
        let statements = try #require(object["Statement"] as? [[String: Any]]).map { statement in
            "{" + ["Sid", "Effect", "Action", "Resource"].compactMap { key in statement[key].map { "\"\(key)\":" + value($0) } }.joined(separator: ",") + "}"
        }
        return #"{"Version":"2012-10-17","Statement":["# + statements.joined(separator: ",") + "]}"
    }

    @Test("The quota size is the length of the policy without white space outside strings, as IAM counts it")
    func quotaSize() throws {
        let document = PolicyDocument(statements: [
            .init(actions: ["s3:GetObject", "s3:PutObject"], resources: ["arn:aws:s3:::my bucket/key with spaces/*", "arn:aws:s3:::b/\"q\"\\"]),
            .init(sid: "Tab", actions: ["sqs:SendMessage"], resources: ["arn:aws:sqs:us-east-1:123456789012:q\tt\u{1B}é"]),
            .init(actions: ["sts:GetCallerIdentity"]),
        ])
        let compact = try Self.compact(document)
        // Spaces inside strings count; escapes count as written.
        #expect(document.quotaSize == compact.unicodeScalars.count)
        #expect(compact.contains("my bucket/key with spaces"))
        #expect(PolicyDocument(statements: []).quotaSize == #"{"Version":"2012-10-17","Statement":[]}"#.count)
    }

    @Test("Exceeded quotas are named, largest first; a document within them exceeds none")
    func exceeded() {
        func document(ofSize target: Int) -> PolicyDocument {
            // One resource long enough to bring the document to exactly `target` characters.
            let base = PolicyDocument(statements: [.init(actions: ["s3:GetObject"], resources: ["arn:aws:s3:::"])])
            let padding = String(repeating: "x", count: target - base.quotaSize)
            return PolicyDocument(statements: [.init(actions: ["s3:GetObject"], resources: ["arn:aws:s3:::" + padding])])
        }
        #expect(document(ofSize: 2048).quotaSize == 2048)
        #expect(document(ofSize: 2048).exceededQuotas.isEmpty)
        #expect(document(ofSize: 2049).exceededQuotas == [.inlineUser])
        #expect(document(ofSize: 5121).exceededQuotas == [.inlineGroup, .inlineUser])
        #expect(document(ofSize: 6144).exceededQuotas == [.inlineGroup, .inlineUser])
        #expect(document(ofSize: 6145).exceededQuotas == [.managedPolicy, .inlineGroup, .inlineUser])
        #expect(document(ofSize: 10_241).exceededQuotas == PolicyQuota.all)
        #expect(PolicyQuota.managedPolicy.description == "managed policy (6,144)")
        #expect(PolicyQuota.grouped(10_240) == "10,240")
        #expect(PolicyQuota.grouped(999) == "999")
        #expect(PolicyQuota.grouped(1_000_000) == "1,000,000")
    }

    @Test("Numbered file names: before the extension, never in a folder's name or a leading dot")
    func numbered() {
        #expect(PolicyOutput.numbered("policy.json", 2) == "policy-2.json")
        #expect(PolicyOutput.numbered("out/policy.json", 3) == "out/policy-3.json")
        #expect(PolicyOutput.numbered("out.d/policy", 2) == "out.d/policy-2")
        #expect(PolicyOutput.numbered(".policy", 2) == ".policy-2")
        #expect(PolicyOutput.numbered("/dev/stdout", 2) == "/dev/stdout-2")
    }

    @Test("Files for an output file: numbered JSON files for a split policy; one file for Terraform and CloudFormation")
    func files() {
        let one = PolicyDocument(statements: [.init(actions: ["s3:GetObject"])])
        let two = PolicyDocument(statements: [.init(actions: ["sqs:SendMessage"])])
        let json = PolicyOutput(format: .json).files(of: [one, two], path: "dir/policy.json")
        #expect(json.map(\.path) == ["dir/policy.json", "dir/policy-2.json"])
        #expect(json.map(\.text) == [one.json, two.json])
        #expect(PolicyOutput(format: .json).files(of: [one], path: "p.json").map(\.text) == [one.json])
        for format in [PolicyOutput.Format.terraform, .cloudformation] {
            let files = PolicyOutput(format: format).files(of: [one, two], path: "policy.out")
            #expect(files.map(\.path) == ["policy.out"])
            #expect(files.first?.text == PolicyOutput(format: format).text(of: [one, two]))
        }
        // Without --minimize the policy is one document, whatever its size.
        let large = PolicyDocument(statements: (0..<400).map { .init(actions: ["s3:GetObject"], resources: ["arn:aws:s3:::bucket-\($0)"]) })
        #expect(PolicyOutput(minimize: false).documents(for: large) == [large])
        let minimized = PolicyOutput(minimize: true).documents(for: large)
        // The statements of one action merge into one on every resource, which is then cut to fit.
        #expect(minimized.count > 1)
        #expect(minimized.allSatisfy { $0.quotaSize <= 6144 })
        #expect(minimized.flatMap { $0.statements.flatMap(\.resources) } == (0..<400).map { "arn:aws:s3:::bucket-\($0)" })
    }
}
