import Foundation
import Testing
import Yams
@testable import IAMScribeCore

/// The formats a policy is written in: golden files, and each read back to the same document.
@Suite("Policy formats")
struct PolicyFormatTests {
    /// A document as resource-level policies look: several statements, ARNs with policy variables
    /// and placeholders (which Terraform must not interpolate), one action or resource alone (a
    /// string in JSON), and names with characters each format must escape.
    static let document = PolicyDocument(statements: [
        .init(actions: ["s3:GetObject", "s3:PutObject"], resources: ["arn:aws:s3:::reports-bucket/${aws:username}/*",
                                                                     "arn:aws:s3:::${BucketName}/${ObjectName}"]),
        .init(actions: ["s3:ListBucket"], resources: ["arn:aws:s3:::reports-bucket"]),
        .init(sid: "Queues", actions: ["sqs:ReceiveMessage", "sqs:SendMessage"],
              resources: ["arn:aws:sqs:eu-west-1:123456789012:jobs", "arn:aws:sqs:eu-west-1:123456789012:jobs-dlq"]),
        .init(actions: ["ssm:GetParameter"], resources: [#"arn:aws:ssm:us-east-1:123456789012:parameter/app/%{x}"quoted"\back"#]),
        .init(actions: ["sqs:ListQueues", "sts:GetCallerIdentity"]),
    ])

    @Test("JSON matches its golden file and parses back to the same statements")
    func json() throws {
        let text = Self.document.json
        #expect(text == (try Fixtures.text("policy-formats.json")))
        let parsed = try IAMPolicy.parse(Data(text.utf8), source: "golden")
        #expect(parsed.version == "2012-10-17")
        #expect(parsed.statements.map(\.actions) == Self.document.statements.map(\.actions))
        #expect(parsed.statements.map(\.resources) == Self.document.statements.map(\.resources))
        #expect(parsed.statements.map(\.reference.sid) == Self.document.statements.map(\.sid))
    }

    @Test("Terraform matches its golden file, and the test's HCL reader reads it back to the same document")
    func terraform() throws {
        let text = Self.document.terraform()
        #expect(text == (try Fixtures.text("policy-formats.tf")))
        // No template sequence is left for Terraform to interpolate.
        #expect(!HCLReader.hasTemplateSequence(text))
        let blocks = try HCLReader.read(text)
        #expect(blocks.count == 1)
        #expect(blocks.first?.labels == ["aws_iam_policy_document", "iamscribe"])
        #expect(blocks.first?.document == Self.document)
    }

    @Test("CloudFormation matches its golden file and Yams parses it back to the same document")
    func cloudFormation() throws {
        let text = Self.document.cloudFormation
        #expect(text == (try Fixtures.text("policy-formats.yaml")))
        #expect(try Self.documents(fromTemplate: text) == [Self.document])
    }

    @Test("Several documents: a JSON array, Terraform blocks and CloudFormation resources, each read back")
    func several() throws {
        let second = PolicyDocument(statements: [.init(actions: ["kms:Decrypt"], resources: ["arn:aws:kms:us-east-1:123456789012:key/k"])])
        let documents = [Self.document, second]
        let json = PolicyOutput(format: .json).text(of: documents)
        let array = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [Any])
        #expect(array.count == 2)
        for (index, item) in array.enumerated() {
            let data = try JSONSerialization.data(withJSONObject: item)
            let parsed = try IAMPolicy.parse(data, source: "item")
            #expect(parsed.statements.map(\.actions) == documents[index].statements.map(\.actions))
        }
        let terraform = PolicyOutput(format: .terraform).text(of: documents)
        let blocks = try HCLReader.read(terraform)
        #expect(blocks.map(\.labels) == [["aws_iam_policy_document", "iamscribe"], ["aws_iam_policy_document", "iamscribe_2"]])
        #expect(blocks.map(\.document) == documents)
        let template = PolicyOutput(format: .cloudformation).text(of: documents)
        #expect(try Self.documents(fromTemplate: template) == documents)
        #expect(template.contains("  IAMScribePolicy2:\n"))
    }

    @Test("Hostile strings survive every format: YAML keywords, colons, comments, controls, separators, template sequences")
    func hostileStrings() throws {
        let hostile = ["yes", "no", "null", "~", "- item", "a: b", "# comment", "&anchor", "*alias", "!tag", "'single'",
                       "\"double\"", "back\\slash", "tab\there", "new\nline", "\u{1B}[2J", "\u{2028}\u{2029}\u{85}",
                       "\u{FEFF}bom", "\u{202E}rtl", "emoji 🪣", "${aws:username}", "$${already}", "%{if}", "%%{x}",
                       "$", "%", "${", "}", "0x10", "1e3", "", " lead and trail "]
        // Each string also as a Sid, after a letter: a byte order mark at the very start of a
        // scalar is dropped by Foundation's UTF-8 decoding in Yams, not by YAML.
        let document = PolicyDocument(statements: hostile.map { .init(sid: "S" + $0, actions: ["s3:GetObject"], resources: ["arn:aws:s3:::" + $0, "*"]) })
        let read = try Self.documents(fromTemplate: document.cloudFormation)
        #expect(read == [document])
        for (statement, back) in zip(document.statements, read.first?.statements ?? []) where statement != back {
            Issue.record("\(statement.resources) read back as \(back.resources)")
        }
        #expect(try HCLReader.read(document.terraform()).first?.document == document)
        #expect(!HCLReader.hasTemplateSequence(document.terraform()))
        let parsed = try IAMPolicy.parse(Data(document.json.utf8), source: "hostile")
        #expect(parsed.statements.map(\.resources) == document.statements.map(\.resources))
        // Nothing that acts on a terminal is written raw.
        for text in [document.cloudFormation, document.terraform()] {
            #expect(!text.unicodeScalars.contains { $0.value != 0x0A && TerminalText.needsEscape($0) })
        }
    }

    @Test("The HCL escapes: template sequences doubled, quotes, backslashes and controls escaped")
    func hclEscapes() {
        #expect(PolicyDocument.hclQuote("arn:aws:s3:::${BucketName}/${aws:username}") == #""arn:aws:s3:::$${BucketName}/$${aws:username}""#)
        #expect(PolicyDocument.hclQuote("%{if}") == #""%%{if}""#)
        #expect(PolicyDocument.hclQuote("$x %y") == #""$x %y""#)
        #expect(PolicyDocument.hclQuote("a\"b\\c\nd\u{1B}") == #""a\"b\\c\nd\u001B""#)
        #expect(PolicyDocument.hclQuote("\u{E0001}") == #""\U000E0001""#)
    }

    /// The documents of a CloudFormation template, read with Yams.
    static func documents(fromTemplate text: String) throws -> [PolicyDocument] {
        let template = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect(template["AWSTemplateFormatVersion"] as? String == "2010-09-09")
        let resources = try #require(template["Resources"] as? [String: Any])
        var out: [PolicyDocument] = []
        // Logical ids IAMScribePolicy, IAMScribePolicy2...: in their number's order.
        for number in 1...max(1, resources.count) {
            let name = number == 1 ? "IAMScribePolicy" : "IAMScribePolicy\(number)"
            let resource = try #require(resources[name] as? [String: Any], "no resource \(name)")
            #expect(resource["Type"] as? String == "AWS::IAM::ManagedPolicy")
            let properties = try #require(resource["Properties"] as? [String: Any])
            let policy = try #require(properties["PolicyDocument"] as? [String: Any])
            #expect(policy["Version"] as? String == "2012-10-17")
            let statements = try #require(policy["Statement"] as? [[String: Any]])
            out.append(PolicyDocument(statements: try statements.map { statement in
                .init(sid: statement["Sid"] as? String, effect: try #require(statement["Effect"] as? String),
                      actions: try #require(statement["Action"] as? [String]),
                      resources: try #require(statement["Resource"] as? [String]))
            }))
        }
        return out
    }
}

/// Reads the HCL iamscribe writes, strictly: blocks with quoted labels, attributes holding a
/// quoted string or a list of them, nested blocks; string escapes and template-sequence escapes
/// as HCL's specification defines them. Anything else is an error, so a rendering that strays
/// from HCL fails the tests.
enum HCLReader {
    struct Block: Equatable {
        var labels: [String]
        var attributes: [String: [String]] = [:]
        var blocks: [(type: String, block: Block)] = []

        static func == (lhs: Block, rhs: Block) -> Bool {
            lhs.labels == rhs.labels && lhs.attributes == rhs.attributes
                && lhs.blocks.map(\.type) == rhs.blocks.map(\.type) && lhs.blocks.map(\.block) == rhs.blocks.map(\.block)
        }

        /// The policy document an `aws_iam_policy_document` block describes.
        var document: PolicyDocument {
            var document = PolicyDocument(statements: blocks.filter { $0.type == "statement" }.map { entry in
                .init(sid: entry.block.attributes["sid"]?.first, effect: entry.block.attributes["effect"]?.first ?? "?",
                      actions: entry.block.attributes["actions"] ?? [], resources: entry.block.attributes["resources"] ?? [])
            })
            document.version = attributes["version"]?.first ?? "?"
            return document
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Whether a quoted string in the text holds an unescaped `${` or `%{`.
    static func hasTemplateSequence(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        var index = 0
        var inString = false
        while index < scalars.count {
            let scalar = scalars[index]
            if !inString {
                if scalar == "\"" { inString = true }
                index += 1
                continue
            }
            switch scalar {
            case "\\": index += 2
            case "\"": inString = false; index += 1
            case "$", "%":
                if index + 2 < scalars.count, scalars[index + 1] == scalar, scalars[index + 2] == "{" { index += 3; continue }
                if index + 1 < scalars.count, scalars[index + 1] == "{" { return true }
                index += 1
            default: index += 1
            }
        }
        return false
    }

    /// The top-level blocks (`data "type" "name" { ... }`).
    static func read(_ text: String) throws -> [Block] {
        var reader = Reader(scalars: Array(text.unicodeScalars))
        var blocks: [Block] = []
        while true {
            reader.skipSpace()
            if reader.atEnd { return blocks }
            let type = try reader.identifier()
            guard type == "data" else { throw Failure(description: "unexpected top-level \(type)") }
            blocks.append(try reader.block())
        }
    }

    private struct Reader {
        let scalars: [Unicode.Scalar]
        var index = 0

        var atEnd: Bool { index >= scalars.count }

        mutating func skipSpace() {
            while index < scalars.count, scalars[index] == " " || scalars[index] == "\n" { index += 1 }
        }

        mutating func expect(_ scalar: Unicode.Scalar) throws {
            skipSpace()
            guard index < scalars.count, scalars[index] == scalar else {
                throw Failure(description: "expected \(scalar) at \(index)")
            }
            index += 1
        }

        mutating func identifier() throws -> String {
            skipSpace()
            var out = ""
            while index < scalars.count, scalars[index].properties.isAlphabetic || scalars[index] == "_" || ("0"..."9").contains(scalars[index]) {
                out.unicodeScalars.append(scalars[index])
                index += 1
            }
            if out.isEmpty { throw Failure(description: "expected an identifier at \(index)") }
            return out
        }

        /// Labels, then `{`, attributes and nested blocks, `}`.
        mutating func block() throws -> Block {
            var block = Block(labels: [])
            skipSpace()
            while index < scalars.count, scalars[index] == "\"" {
                block.labels.append(try string())
                skipSpace()
            }
            try expect("{")
            while true {
                skipSpace()
                if index < scalars.count, scalars[index] == "}" {
                    index += 1
                    return block
                }
                let name = try identifier()
                skipSpace()
                if index < scalars.count, scalars[index] == "=" {
                    index += 1
                    skipSpace()
                    guard block.attributes[name] == nil else { throw Failure(description: "duplicate attribute \(name)") }
                    block.attributes[name] = index < scalars.count && scalars[index] == "[" ? try list() : [try string()]
                } else {
                    block.blocks.append((name, try self.block()))
                }
            }
        }

        /// `[ "a", "b", ]`: a trailing comma allowed, as HCL allows.
        mutating func list() throws -> [String] {
            try expect("[")
            var out: [String] = []
            while true {
                skipSpace()
                if index < scalars.count, scalars[index] == "]" {
                    index += 1
                    return out
                }
                out.append(try string())
                skipSpace()
                if index < scalars.count, scalars[index] == "," { index += 1 } else { try expect("]"); return out }
            }
        }

        /// A quoted template without interpolation: `\"`, `\\`, `\n`, `\r`, `\t`, `\uNNNN`,
        /// `\UNNNNNNNN`, and `$${`/`%%{` for a literal `${`/`%{`; an unescaped `${` or `%{` is an error.
        mutating func string() throws -> String {
            try expect("\"")
            var out = ""
            while index < scalars.count {
                let scalar = scalars[index]
                switch scalar {
                case "\"":
                    index += 1
                    return out
                case "\n": throw Failure(description: "newline in a string at \(index)")
                case "\\":
                    guard index + 1 < scalars.count else { throw Failure(description: "dangling escape") }
                    let kind = scalars[index + 1]
                    index += 2
                    switch kind {
                    case "\"": out += "\""
                    case "\\": out += "\\"
                    case "n": out += "\n"
                    case "r": out += "\r"
                    case "t": out += "\t"
                    case "u", "U":
                        let length = kind == "u" ? 4 : 8
                        guard index + length <= scalars.count,
                              let value = UInt32(String(String.UnicodeScalarView(scalars[index..<(index + length)])), radix: 16),
                              let decoded = Unicode.Scalar(value) else { throw Failure(description: "bad \\\(kind) escape") }
                        out.unicodeScalars.append(decoded)
                        index += length
                    default: throw Failure(description: "unknown escape \\\(kind)")
                    }
                case "$", "%":
                    if index + 2 < scalars.count, scalars[index + 1] == scalar, scalars[index + 2] == "{" {
                        out.unicodeScalars.append(scalar)
                        out += "{"
                        index += 3
                    } else if index + 1 < scalars.count, scalars[index + 1] == "{" {
                        throw Failure(description: "template sequence \(scalar){ at \(index)")
                    } else {
                        out.unicodeScalars.append(scalar)
                        index += 1
                    }
                default:
                    out.unicodeScalars.append(scalar)
                    index += 1
                }
            }
            throw Failure(description: "unterminated string")
        }
    }
}
