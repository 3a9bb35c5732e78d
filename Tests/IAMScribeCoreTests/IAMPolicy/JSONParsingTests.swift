import Foundation
import Testing
@testable import IAMScribeCore

@Suite("Strict JSON parsing of policies")
struct JSONParsingTests {
    func parse(_ json: String, source: String = "p.json") throws -> IAMPolicy {
        try IAMPolicy.parse(Data(json.utf8), source: source)
    }

    struct Duplicate: Sendable, CustomTestStringConvertible {
        let json: String
        let message: String
        var testDescription: String { message }
    }

    static let duplicates: [Duplicate] = [
        .init(json: #"{"Statement":[{"Effect":"Allow","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#,
              message: #"p.json: statement 1: duplicate key "Effect""#),
        .init(json: #"{"Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"B","Effect":"Allow","Action":"s3:*","Action":"sqs:*","Resource":"*"}]}"#,
              message: #"p.json: statement 2 (Sid "B"): duplicate key "Action""#),
        .init(json: #"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":"a","aws:username":"b"}}}}"#,
              message: #"p.json: statement 1: Condition.StringEquals: duplicate key "aws:username""#),
        .init(json: #"{"Statement":[{"Sid":"A","Sid":"B","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
              message: #"p.json: statement 1: duplicate key "Sid""#),
        .init(json: #"{"Version":"2012-10-17","Statement":[],"Version":"2008-10-17"}"#,
              message: #"p.json: duplicate key "Version""#),
        .init(json: #"{"PolicyVersion":{"Document":{"Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*","Effect":"Allow"}]}}}"#,
              message: #"p.json: statement 1: duplicate key "Effect""#),
        .init(json: #"{"PolicyVersion":{"Document":{"Statement":[]},"Document":{"Statement":[]}}}"#,
              message: #"p.json: PolicyVersion: duplicate key "Document""#),
        // URL-encoded, as get-role-policy prints it: {"Statement":[{"Effect":"Allow","Effect":"Deny",...}]}
        .init(json: #"{"RoleName":"r","PolicyName":"p","PolicyDocument":"%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Effect%22%3A%22Deny%22%2C%22Action%22%3A%22s3%3A*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D"}"#,
              message: #"p.json: statement 1: duplicate key "Effect""#),
    ]

    @Test("A duplicate key makes the policy invalid, naming the key and where it is", arguments: duplicates)
    func duplicateKeys(_ item: Duplicate) throws {
        let error = try #require(throws: IAMScribeError.self) { try parse(item.json) }
        #expect(error.code == .invalidPolicy)
        #expect("\(error)".contains(item.message), "got: \(error)")
    }

    @Test("The strict parser reads what JSONDecoder read, to the same values")
    func sameAsDecoder() throws {
        var documents = try ["policy-get-policy-version.json", "policy-get-role-policy.json", "policy-get-user-policy.json",
                             "awscli-moto.policy.json"].map { try Data(contentsOf: Fixtures.url($0)) }
        documents.append(Data(#"""
        {"a": [1, -0, 2.5, 1e3, 1E-2, 10000000000000000000, 12345678901234567890123, true, false, null],
         "s": "tab\t \"quoted\" \\ \/ \u00e9 \ud83d\ude00 é", "": {}, "e": [], "nested": [[{"x": [null]}]]}
        """#.utf8))
        documents.append(Data([0xEF, 0xBB, 0xBF] + Array(#" {"bom": 1} "#.utf8)))
        for document in documents {
            let strict = try JSONValue.parse(document)
            #expect(strict.duplicate == nil)
            #expect(strict.value == (try JSONDecoder().decode(JSONValue.self, from: document)))
        }
    }

    @Test("What is not JSON is refused with its line and column", arguments: [
        (#"{"a": 1,}"#, "line 1, column 9"), ("{\"a\":\n [1 2]}", "line 2, column 5"), (#"{"a": tru}"#, "line 1, column 7"),
        (#"{"a": "x"#, "a string is not closed"), ("{\"a\": \"\u{01}\"}", "control character"), (#"{"a": 01}"#, "line 1, column 8"),
        (#"{"a": "\x"}"#, "not a JSON escape"), (#"{"a": "\ud800"}"#, "surrogate"), ("// comment\n{}", "line 1, column 1"),
        (#"{"a": 1} x"#, "after the end"), (#"{"a": 1e999}"#, "out of range"), ("", "unexpected end"),
    ])
    func syntax(text: String, message: String) {
        #expect {
            _ = try JSONValue.parse(Data(text.utf8))
        } throws: { error in
            "\(error)".contains(message)
        }
        #expect(throws: IAMScribeError.self) { try parse(text) }
    }

    @Test("Invalid UTF-8 in a string is refused")
    func invalidUTF8() {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(Data([0x22, 0xC3, 0x28, 0x22])) }
    }

    /// A policy whose condition value is nested `levels` lists deep.
    func nested(_ levels: Int) -> String {
        // Document, Statement list, statement, Condition, operator: 5 levels before the value.
        let value = String(repeating: "[", count: levels - 5) + #""x""# + String(repeating: "]", count: levels - 5)
        return #"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"k":"# + value + "}}}]}"
    }

    @Test("Nesting: 64 levels parse, 65 are refused with a clear error, and a very deep file fails fast")
    func depth() throws {
        // 64 levels are JSON iamscribe reads: the error is IAM's (a list in a list), not the depth.
        let deep = try #require(throws: IAMScribeError.self) { try parse(nested(64)) }
        #expect("\(deep)".contains("values are strings, numbers or booleans, not a list"), "\(deep)")
        let tooDeep = try #require(throws: IAMScribeError.self) { try parse(nested(65)) }
        #expect("\(tooDeep)".contains("p.json: the file nests lists and objects deeper than 64 levels (line 1, column "), "\(tooDeep)")

        // Two million levels: refused at level 65, without reading the rest.
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            let huge = Data(repeating: UInt8(ascii: "["), count: 2_000_000) + Data(repeating: UInt8(ascii: "]"), count: 2_000_000)
            let error = try #require(throws: IAMScribeError.self) { try IAMPolicy.parse(huge, source: "deep.json") }
            #expect("\(error)".contains("deeper than 64 levels"))
        }
        #expect(elapsed < .seconds(10))
    }

    @Test("Parsing is linear: a wide policy of 20,000 statements, each 8 levels deep, parses quickly")
    func wide() throws {
        let statement = #"{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":["a","b"]}}}"#
        let document = #"{"PolicyVersion":{"Document":{"Version":"2012-10-17","Statement":["# +
            Array(repeating: statement, count: 20_000).joined(separator: ",") + "]}}}"
        let clock = ContinuousClock()
        var policy: IAMPolicy?
        let elapsed = try clock.measure { policy = try parse(document) }
        #expect(policy?.statements.count == 20_000)
        #expect(elapsed < .seconds(20))
    }
}
