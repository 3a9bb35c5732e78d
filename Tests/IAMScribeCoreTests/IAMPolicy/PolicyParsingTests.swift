import Foundation
import Testing
@testable import IAMScribeCore

@Suite("Policy parsing")
struct PolicyParsingTests {
    func parse(_ json: String, source: String = "p.json") throws -> IAMPolicy {
        try IAMPolicy.parse(Data(json.utf8), source: source)
    }

    @Test("A plain document: strings or lists, Action/NotAction, Resource/NotResource, Condition, Sid")
    func plain() throws {
        let policy = try parse("""
        {"Version": "2012-10-17", "Id": "x", "Statement": [
          {"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::c/*"]},
          {"Effect": "Deny", "NotAction": ["iam:*"], "NotResource": "arn:aws:s3:::b/*",
           "Condition": {"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["team", "env"]}, "Bool": {"aws:SecureTransport": false}}}
        ]}
        """)
        #expect(policy.version == "2012-10-17")
        #expect(policy.statements.count == 2)
        let first = policy.statements[0], second = policy.statements[1]
        #expect(first.reference == .init(source: "p.json", number: 1, sid: "A"))
        #expect(first.effect == .allow && first.actions == ["s3:GetObject"] && !first.actionsAreExcluded)
        #expect(first.resources == ["arn:aws:s3:::b/*", "arn:aws:s3:::c/*"])
        #expect(second.effect == .deny && second.actionsAreExcluded && second.resourcesAreExcluded)
        #expect(second.conditions.count == 2)
        let tagKeys = try #require(second.conditions.first { $0.key == "aws:TagKeys" })
        #expect(tagKeys.qualifier == .forAnyValue && tagKeys.ifExists && tagKeys.base == .stringLike)
        let secure = try #require(second.conditions.first { $0.key == "aws:SecureTransport" })
        #expect(secure.values == ["false"])
    }

    @Test("get-role-policy output with a URL-encoded document")
    func roleOutput() throws {
        let policy = try IAMPolicy.load(path: Fixtures.url("policy-get-role-policy.json").path)
        #expect(policy.statements.map(\.reference.sid) == ["ReadPhotos", "OnlyInEurope"])
        #expect(policy.statements[1].conditions.first?.values == ["eu-west-1", "eu-central-1"])
    }

    @Test("get-policy-version, get-user-policy (document as a JSON string) and a bare URL-encoded document")
    func otherOutputs() throws {
        let version = try IAMPolicy.load(path: Fixtures.url("policy-get-policy-version.json").path)
        #expect(version.statements.first?.actions == ["sqs:SendMessage"])
        let user = try IAMPolicy.load(path: Fixtures.url("policy-get-user-policy.json").path)
        #expect(user.statements.first?.resources == ["arn:aws:dynamodb:eu-west-1:123456789012:table/users"])
        let raw = try IAMPolicy.load(path: Fixtures.url("policy-raw-encoded.txt").path)
        #expect(raw.statements.first?.resources == ["arn:aws:sqs:*:123456789012:jobs-*"])
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        let json: String
        let message: String
        var testDescription: String { message }
    }

    static let invalid: [Invalid] = [
        .init(json: #"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"allow","Action":"s3:*","Resource":"*"}]}"#,
              message: #"p.json: statement 1 (Sid "A"): Effect: must be "Allow" or "Deny", not "allow""#),
        .init(json: #"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Allow","Resource":"*"}]}"#,
              message: "p.json: statement 2: Action: missing"),
        .init(json: #"{"Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"s3:Get*","Resource":"*"}]}"#,
              message: "statement 1: NotAction: a statement has Action or NotAction, not both"),
        .init(json: #"{"Statement":[{"Sid":"Bucket","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#,
              message: #"statement 1 (Sid "Bucket"): Principal: an identity-based policy names no principal"#),
        .init(json: #"{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#,
              message: "statement 1: Resource: missing"),
        .init(json: #"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"photos"}]}"#,
              message: "statement 1: Resource: 'photos' is neither an ARN"),
        .init(json: #"{"Statement":[{"Effect":"Allow","Action":"s3GetObject","Resource":"*"}]}"#,
              message: "statement 1: Action: 's3GetObject' is not an action"),
        .init(json: #"{"Statement":[{"Effect":"Allow","Action":["s3:GetObject",3],"Resource":"*"}]}"#,
              message: "statement 1: Action: item 2 is a number, not a string"),
        .init(json: #"{"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}"#,
              message: "statement 1: Action: the list is empty"),
        .init(json: #"{"Statement":[{"Sid":"C","Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"aws:RequestedRegion":"eu-west-1"}}}]}"#,
              message: #"statement 1 (Sid "C"): Condition.StringEqualz: 'StringEqualz' is not an IAM condition operator"#),
        .init(json: #"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"an hour"}}}]}"#,
              message: "Condition.NumericLessThan.aws:MultiFactorAuthAge: 'an hour' is not a number"),
        .init(json: #"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}]}"#,
              message: "Condition.IpAddress.aws:SourceIp: '10.0.0.0/33' is not an IP address or CIDR range"),
        .init(json: #"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"next week"}}}]}"#,
              message: "Condition.DateLessThan.aws:CurrentTime: 'next week' is not a date"),
        .init(json: #"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"aws:TokenIssueTime":"true"}}}]}"#,
              message: "Condition.NullIfExists: 'NullIfExists' is not an IAM condition operator"),
        .init(json: #"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:TagKeys":{"a":"b"}}}}]}"#,
              message: "Condition.StringEquals.aws:TagKeys: values are strings, numbers or booleans, not an object"),
        .init(json: #"{"Statement":[{"effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
              message: "statement 1: unknown field 'effect' (did you mean 'Effect'?"),
        .init(json: #"{"Statement":[{"Sid":"X","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"X","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#,
              message: #"statement 2 (Sid "X"): Sid: "X" is used by another statement"#),
        .init(json: #"{"Version":"2012-10-18","Statement":[]}"#, message: "p.json: Version must be"),
        .init(json: #"{"Version":"2012-10-17"}"#, message: "p.json: the document has no Statement"),
        .init(json: #"{"Statement":"s3:*"}"#, message: "Statement is a string; expected an object or a list of objects"),
        .init(json: #"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#, message: "p.json: the file is not valid JSON"),
        .init(json: #"{"RoleName":"r","PolicyName":"p","PolicyDocument":"%7Bnot%20json"}"#, message: "p.json: PolicyDocument (URL-decoded) is not valid JSON"),
        .init(json: #"{"Role":{"RoleName":"r","AssumeRolePolicyDocument":{}}}"#, message: "this is a role (with its trust policy)"),
        .init(json: #"[1, 2]"#, message: "the file holds a list, not a policy document"),
    ]

    @Test("Invalid documents: the error names the statement (number and Sid) and the field", arguments: invalid)
    func invalidDocument(_ item: Invalid) throws {
        let error = try #require(throws: IAMScribeError.self) { try parse(item.json) }
        #expect(error.code == .invalidPolicy)
        #expect("\(error)".contains(item.message), "got: \(error)")
    }

    @Test("Version 2008-10-17 has no policy variables: ${...} is plain text")
    func oldVersion() throws {
        let old = try parse(#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}]}"#)
        #expect(old.statements[0].resourcePatterns[0].variableKeys.isEmpty)
        let new = try parse(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}]}"#)
        #expect(new.statements[0].resourcePatterns[0].variableKeys == ["aws:username"])
    }

    @Test("Unknown action names are warnings, not errors")
    func unknownActions() throws {
        let policy = try parse(#"{"Statement":[{"Sid":"T","Effect":"Allow","Action":["s3:GetObjekt","s3:Get*"],"Resource":"*"}]}"#)
        #expect(policy.unknownActionWarnings().map(\.message) == [#"statement 1 "T" of p.json: Action 's3:GetObjekt' is not an IAM action the table knows"#])
    }
}
